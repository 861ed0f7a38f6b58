// Error stacks: V8 calls Error.prepareStackTrace lazily with structured call sites.
// We keep those frames (so the host can map `convex:/<module>:line:col` through the
// pushed source maps) and render the usual V8 text without the prelude's own frames.

const errorFrames = new WeakMap();

function siteFile(site) {
  try {
    return site.getScriptNameOrSourceURL() ?? site.getFileName() ?? null;
  } catch {
    return null;
  }
}

function errorHeader(error) {
  try {
    const name = error.name === undefined ? "Error" : String(error.name);
    const message = error.message === undefined ? "" : String(error.message);
    if (name === "") return message;
    if (message === "") return name;
    return `${name}: ${message}`;
  } catch {
    return "Error";
  }
}

function prepareStackTrace(error, sites) {
  const kept = sites.filter((site) => {
    const file = siteFile(site);
    return file !== PRELUDE_URL && file !== "<anonymous>";
  });
  const frames = kept.map((site) => ({
    functionName: site.getFunctionName() ?? null,
    fileName: siteFile(site),
    lineNumber: site.getLineNumber() ?? null,
    columnNumber: site.getColumnNumber() ?? null,
  }));
  if (isObjectLike(error)) errorFrames.set(error, frames);
  const lines = kept.map((site) => `    at ${String(site)}`);
  return [errorHeader(error), ...lines].join("\n");
}

Object.defineProperty(Error, "prepareStackTrace", {
  value: prepareStackTrace,
  writable: true,
  enumerable: false,
  configurable: true,
});

// The structured frames of `error`, forcing V8 to format its stack if it has not yet.
function framesOf(error) {
  if (!isObjectLike(error)) return [];
  try {
    void error.stack;
  } catch {
    return [];
  }
  return errorFrames.get(error) ?? [];
}

// The frames of the current call stack below the caller, as text (console.trace).
function currentStackText(skipHeader) {
  const holder = {};
  Error.captureStackTrace(holder, skipHeader);
  const text = String(holder.stack);
  const newline = text.indexOf("\n");
  return newline === -1 ? "" : text.slice(newline + 1);
}
