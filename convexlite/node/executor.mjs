// convexlite's Node.js executor: one process runs one "use node" action at a time.
//
// Python (convexlite/node/worker.py) starts `node --enable-source-maps executor.mjs` with a
// socket on the file descriptor named by CONVEXLITE_NODE_FD and speaks newline-delimited JSON
// over it (stdout stays free for whatever user code prints). Requests:
//   {op: "analyze", id, dir, modules: [path], env}            -> {op: "analyzed", id, ok, modules | error}
//   {op: "run", id, dir, module, name, args, requestId, env, functionMetadata, deploymentMetadata}
//                                                              -> {op: "done", id, ok, value | error}
// While a run is in flight the executor sends {op: "syscall", call, name, args} for every
// `Convex.asyncSyscall` of the bundled `convex` library and waits for
// {op: "result", call, ok, value | error}; every console line is sent as {op: "log", line}.
// When the socket closes the process exits, so a backend that dies leaves no executor behind.

import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import util from "node:util";
import { pathToFileURL } from "node:url";

// The error helpers V8's prelude uses too (convexlite/functions/convex_errors.js).
const { errorFromHostPayload, isConvexError, convexErrorData } = new Function(
  `${fs.readFileSync(new URL("../functions/convex_errors.js", import.meta.url), "utf8")}
  return { errorFromHostPayload, isConvexError, convexErrorData };`,
)();

const MAX_LOG_LINES = 256;
const MAX_LOG_LINE_BYTES = 32768;

const fd = Number(process.env.CONVEXLITE_NODE_FD);
delete process.env.CONVEXLITE_NODE_FD;
const channel = new net.Socket({ fd, readable: true, writable: true });
channel.setEncoding("utf8");

function send(message) {
  channel.write(JSON.stringify(message) + "\n");
}

// ---- the run in flight ------------------------------------------------------------------------

let current = null; // {id, functionMetadata, deploymentMetadata, logs, bundleDir}
const pendingCalls = new Map();
let nextCall = 1;

// ---- console capture --------------------------------------------------------------------------

function render(value) {
  if (typeof value === "string") return value;
  return util.inspect(value, { depth: 4, breakLength: Infinity });
}

function limitLine(messages) {
  let budget = MAX_LOG_LINE_BYTES;
  const kept = [];
  for (const message of messages) {
    const size = Buffer.byteLength(message);
    const separator = kept.length ? 1 : 0;
    if (size + separator <= budget) {
      kept.push(message);
      budget -= size + separator;
      continue;
    }
    const room = budget - separator;
    if (room > 0) kept.push(Buffer.from(message).subarray(0, room).toString("utf8").replace(/\uFFFD$/, ""));
    return { messages: kept, isTruncated: true };
  }
  return { messages: kept, isTruncated: false };
}

function logLine(level, messages) {
  if (current === null) return;
  if (current.logs >= MAX_LOG_LINES) return;
  current.logs += 1;
  if (current.logs === MAX_LOG_LINES) {
    level = "ERROR";
    messages = [`Log overflow (maximum ${MAX_LOG_LINES}). Remaining log lines omitted.`];
  }
  const line = limitLine(messages);
  send({ op: "log", line: { level, ...line, timestamp: Date.now() } });
}

const timers = new Map();
const counts = new Map();
const logTo = (level) => (...args) => logLine(level, args.map(render));
Object.assign(console, {
  log: logTo("LOG"),
  info: logTo("INFO"),
  warn: logTo("WARN"),
  error: logTo("ERROR"),
  debug: logTo("DEBUG"),
  dir: (value) => logLine("LOG", [render(value)]),
  trace: (...args) => {
    const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
    logLine("LOG", [...args.map(render), `Trace\n${stack}`]);
  },
  assert: (condition, ...args) => {
    if (condition) return;
    const messages = args.map(render);
    messages[0] = messages.length ? `Assertion failed: ${messages[0]}` : "Assertion failed";
    logLine("ERROR", messages);
  },
  time: (label = "default") => {
    if (timers.has(label)) logLine("WARN", [`Timer '${label}' already exists`]);
    else timers.set(label, performance.now());
  },
  timeLog: (label = "default", ...args) => {
    const started = timers.get(label);
    if (started === undefined) return logLine("WARN", [`Timer '${label}' does not exist`]);
    logLine("INFO", [`${label}: ${Math.round(performance.now() - started)}ms`, ...args.map(render)]);
  },
  timeEnd: (label = "default") => {
    const started = timers.get(label);
    if (started === undefined) return logLine("WARN", [`Timer '${label}' does not exist`]);
    timers.delete(label);
    logLine("INFO", [`${label}: ${Math.round(performance.now() - started)}ms`]);
  },
  count: (label = "default") => {
    const n = (counts.get(label) ?? 0) + 1;
    counts.set(label, n);
    logLine("INFO", [`${label}: ${n}`]);
  },
  countReset: (label = "default") => counts.delete(label),
});

// ---- the Convex global (spec/functions.md §3.2) ------------------------------------------------

function syscall(op, jsonArgs) {
  if (current === null || current.importing) throw new Error(`Can't call ${op} at import time (move the call into a function handler)`);
  switch (op) {
    case "1.0/getFunctionMetadata":
      return JSON.stringify(current.functionMetadata);
    case "1.0/getDeploymentMetadata":
      return JSON.stringify(current.deploymentMetadata);
    default:
      throw new Error(`Unknown operation ${op}`);
  }
}

function asyncSyscall(op, jsonArgs) {
  if (current === null || current.importing) {
    return Promise.reject(new Error(`Can't use ${op} at import time (move the call into a function handler)`));
  }
  const call = nextCall++;
  return new Promise((resolve, reject) => {
    pendingCalls.set(call, { resolve, reject, run: current.id });
    send({ op: "syscall", call, name: String(op), args: String(jsonArgs) });
  });
}

async function storeBlob({ blob, options }) {
  if (!(blob instanceof Blob)) throw new TypeError("storage.store() expects a Blob");
  const bytes = Buffer.from(await blob.arrayBuffer());
  const args = { blob: bytes.toString("base64"), contentType: blob.type };
  if (options?.sha256 !== undefined) args.sha256 = options.sha256;
  return JSON.parse(await asyncSyscall("1.0/storageStore", JSON.stringify(args)));
}

async function getBlob({ storageId }) {
  const found = JSON.parse(await asyncSyscall("1.0/storageGet", JSON.stringify({ storageId })));
  if (found === null) return null;
  return new Blob([Buffer.from(found.blob, "base64")], { type: found.contentType ?? "" });
}

function jsSyscall(op, args) {
  switch (op) {
    case "storage/storeBlob":
      return storeBlob(args);
    case "storage/getBlob":
      return getBlob(args);
    default:
      throw new Error(`Unknown JS syscall ${op}`);
  }
}

Object.defineProperty(globalThis, "Convex", {
  value: Object.freeze({ syscall, asyncSyscall, jsSyscall }),
  enumerable: false,
  writable: false,
  configurable: false,
});

// ---- loading modules ---------------------------------------------------------------------------

function setEnv(env) {
  for (const key of Object.keys(process.env)) {
    if (!(key in env)) delete process.env[key];
  }
  Object.assign(process.env, env);
}

async function importModule(dir, module) {
  return await import(pathToFileURL(path.join(dir, module)).href);
}

function kindOf(value) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return null;
  const kinds = [["isQuery", "Query"], ["isMutation", "Mutation"], ["isAction", "Action"]]
    .filter(([flag]) => flag in value)
    .map(([, kind]) => kind);
  return kinds.length === 1 ? kinds[0] : null;
}

function exportedJson(value, method, module, name) {
  if (typeof value[method] !== "function") return null;
  const exported = value[method]();
  if (typeof exported !== "string") {
    throw new Error(`Invalid ${method} return value for ${module}:${name}: expected a string`);
  }
  try {
    JSON.parse(exported);
  } catch {
    throw new Error(`Invalid JSON returned from ${module}:${name}.${method}()`);
  }
  return exported;
}

async function analyzeModule(dir, module) {
  const namespace = await importModule(dir, module);
  const functions = [];
  for (const [name, value] of Object.entries(namespace)) {
    const udfType = kindOf(value);
    if (udfType === null) continue;
    if (udfType !== "Action") {
      throw new Error(
        `\`${name}\` defined in \`"${module}"\` is a ${udfType} function. Only actions can be ` +
          "defined in Node.js. See https://docs.convex.dev/functions/actions for more details.",
      );
    }
    const isPublic = "isPublic" in value;
    const isInternal = "isInternal" in value;
    if (isPublic && isInternal) continue;
    functions.push({
      name,
      pos: null,
      udfType,
      visibility: isPublic ? { kind: "public" } : isInternal ? { kind: "internal" } : null,
      args: exportedJson(value, "exportArgs", module, name),
      returns: exportedJson(value, "exportReturns", module, name),
    });
  }
  return { functions, httpRoutes: null, cronSpecs: null, sourceMapped: null };
}

// ---- errors ------------------------------------------------------------------------------------

// Source-mapped frames name files by absolute path, resolved against the bundle directory
// (`<bundle>/../convex/x.ts`); show them relative to it, as Convex does (`../convex/x.ts:12:5`),
// and leave out the executor's own frames.
const FRAME_PATH = /(\(|at )(?:file:\/\/)?(\/[^():]+)(?=:\d+:\d+)/g;
const EXECUTOR_FILE = new URL(import.meta.url).pathname;

function relativeStack(stack, dir) {
  return stack
    .split("\n")
    .filter((line) => !line.includes(EXECUTOR_FILE))
    .map((line) => (dir ? line.replace(FRAME_PATH, (_, lead, file) => lead + path.relative(dir, file)) : line))
    .join("\n");
}

function describeError(error, dir) {
  if (error !== null && typeof error === "object" && typeof error.message === "string") {
    let stack = "";
    try {
      stack = typeof error.stack === "string" ? relativeStack(error.stack, dir) : "";
    } catch {
      stack = "";
    }
    const described = { name: String(error.name ?? "Error"), message: error.message, stack };
    if (isConvexError(error)) described.data = convexErrorData(error, render);
    return described;
  }
  return { name: "Error", message: typeof error === "string" ? error : render(error), stack: "" };
}

// ---- requests ----------------------------------------------------------------------------------

async function analyze(request) {
  setEnv(request.env);
  const modules = {};
  try {
    for (const module of request.modules) modules[module] = await analyzeModule(request.dir, module);
    send({ op: "analyzed", id: request.id, ok: true, modules });
  } catch (error) {
    send({ op: "analyzed", id: request.id, ok: false, error: describeError(error, request.dir) });
  }
}

async function run(request) {
  setEnv(request.env);
  current = {
    id: request.id,
    functionMetadata: request.functionMetadata,
    deploymentMetadata: request.deploymentMetadata,
    dir: request.dir,
    importing: false,
    logs: 0,
  };
  const { module, name } = request;
  try {
    let namespace;
    try {
      current.importing = true;
      namespace = await importModule(request.dir, module);
    } finally {
      current.importing = false;
    }
    const fn = namespace[name];
    if (fn === undefined) throw new Error(`Couldn't find "${name}" in module "${module}".`);
    if (kindOf(fn) !== "Action" || typeof fn.invokeAction !== "function") {
      throw new Error(`\`${name}\` wasn't registered as a Convex action in \`${module}\``);
    }
    const value = await fn.invokeAction(request.requestId, request.args);
    send({ op: "done", id: request.id, ok: true, value });
  } catch (error) {
    send({ op: "done", id: request.id, ok: false, error: describeError(error, request.dir) });
  } finally {
    for (const [call, pending] of pendingCalls) {
      if (pending.run === request.id) pendingCalls.delete(call);
    }
    if (current !== null && current.id === request.id) current = null;
  }
}

function settle(message) {
  const pending = pendingCalls.get(message.call);
  if (pending === undefined) return;
  pendingCalls.delete(message.call);
  if (message.ok) pending.resolve(message.value);
  else pending.reject(errorFromHostPayload(message.error));
}

function dispatch(message) {
  switch (message.op) {
    case "analyze":
      return analyze(message);
    case "run":
      return run(message);
    case "result":
      return settle(message);
    default:
      throw new Error(`convexlite node executor: unknown request ${message.op}`);
  }
}

let buffered = "";
channel.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line) dispatch(JSON.parse(line));
  }
});
channel.on("close", () => process.exit(0));
channel.on("error", () => process.exit(0));

// An unhandled rejection or exception in user code fails the run in flight, as in V8.
function failCurrent(error) {
  if (current === null) return;
  const { id, dir } = current;
  current = null;
  // The action's own code may still be running: the process is not given another run.
  send({ op: "done", id, ok: false, retire: true, error: describeError(error, dir) });
}
process.on("unhandledRejection", failCurrent);
process.on("uncaughtException", failCurrent);
