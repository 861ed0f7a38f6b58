// Shared state of the host prelude: the execution in progress, the host bridge and
// the originals of the globals the prelude patches. Every prelude file is concatenated
// into one function scope (convexlite/js/prelude.py), so these names are visible to all.

const PRELUDE_URL = "convexlite:prelude";
const OriginalDate = Date;
const originalDateNow = Date.now;
const originalRandom = Math.random;
const hostGlobal = globalThis;

function realNow() {
  return originalDateNow.call(OriginalDate);
}

// The execution record of `__cvx.run` / `analyze` / `evaluate`, or null between them.
let execution = null;

function hostBridge(op, payload) {
  const bridge = hostGlobal.__cvx_bridge;
  if (typeof bridge !== "function") {
    throw new Error("convexlite: the host bridge (__cvx_bridge) is not installed");
  }
  return bridge(op, payload);
}

function defineGlobal(name, value) {
  const existing = Object.getOwnPropertyDescriptor(hostGlobal, name);
  if (existing !== undefined && !existing.configurable) {
    // mini-racer injects some timers as non-configurable (but writable) globals
    hostGlobal[name] = value;
    return;
  }
  Object.defineProperty(hostGlobal, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function defineHidden(target, name, value) {
  Object.defineProperty(target, name, { value, writable: true, enumerable: false, configurable: true });
}

function isObjectLike(value) {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function currentKind() {
  return execution === null ? null : execution.kind;
}

function inImportPhase() {
  return execution !== null && execution.phase === "import";
}

function isQueryOrMutation() {
  return execution !== null && execution.phase === "exec" &&
    (execution.kind === "query" || execution.kind === "mutation");
}
