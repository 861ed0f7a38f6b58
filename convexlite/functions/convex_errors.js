// What V8 functions (js/prelude) and "use node" actions (node/executor.mjs) share about errors
// crossing the host boundary: a failed syscall's payload as the Error user code catches, and a
// thrown ConvexError's data as JSON. A plain script: the prelude concatenates it, the executor
// evaluates it; it uses nothing but the language.

function errorFromHostPayload(payload) {
  let parsed;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = { message: String(payload) };
  }
  const error = new Error(parsed?.message ?? String(payload));
  if (parsed !== null && typeof parsed === "object" && "data" in parsed) error.data = parsed.data;
  return error;
}

function isConvexError(error) {
  return (
    error !== null &&
    (typeof error === "object" || typeof error === "function") &&
    (Object.prototype.hasOwnProperty.call(error, "ConvexErrorSymbol") || Symbol.for("ConvexError") in error)
  );
}

// `renderValue` shows data JSON cannot carry (a cycle, a BigInt) as the runtime's console would.
function convexErrorData(error, renderValue) {
  const data = error.data;
  if (typeof data === "string" && Object.prototype.hasOwnProperty.call(error, "ConvexErrorSymbol")) {
    try {
      return JSON.parse(data);
    } catch {
      return data;
    }
  }
  if (data === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(data)) ?? null;
  } catch {
    return renderValue(data);
  }
}
