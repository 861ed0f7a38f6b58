// structuredClone for the data the platform can clone without a host: primitives,
// plain objects and arrays, Date, RegExp, Map, Set, ArrayBuffer, typed arrays,
// DataView, boxed primitives, errors and CryptoKeys, preserving shared references
// and cycles.

const CLONEABLE_ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function cloneError(message) {
  return new DOMException(message, "DataCloneError");
}

function structuredCloneValue(value, memo) {
  if (typeof value === "symbol") throw cloneError(`${String(value)} could not be cloned.`);
  if (typeof value === "function") throw cloneError(`${functionName(value) || "function"} could not be cloned.`);
  if (!isObjectLike(value)) return value;
  if (memo.has(value)) return memo.get(value);
  const tag = objectToString.call(value);
  let copy;
  switch (tag) {
    case "[object Date]":
      copy = new OriginalDate(OriginalDate.prototype.getTime.call(value));
      break;
    case "[object RegExp]":
      copy = new RegExp(value.source, value.flags);
      break;
    case "[object Boolean]":
      copy = Object(Boolean.prototype.valueOf.call(value));
      break;
    case "[object Number]":
      copy = Object(Number.prototype.valueOf.call(value));
      break;
    case "[object String]":
      copy = Object(String.prototype.valueOf.call(value));
      break;
    case "[object BigInt]":
      copy = Object(BigInt.prototype.valueOf.call(value));
      break;
    case "[object ArrayBuffer]":
      copy = value.slice(0);
      break;
    case "[object CryptoKey]":
      copy = cloneCryptoKey(value);
      break;
    case "[object Map]": {
      copy = new Map();
      memo.set(value, copy);
      for (const [k, v] of value) copy.set(structuredCloneValue(k, memo), structuredCloneValue(v, memo));
      return copy;
    }
    case "[object Set]": {
      copy = new Set();
      memo.set(value, copy);
      for (const v of value) copy.add(structuredCloneValue(v, memo));
      return copy;
    }
    case "[object Array]": {
      copy = new Array(value.length);
      memo.set(value, copy);
      for (const key of Object.keys(value)) copy[key] = structuredCloneValue(value[key], memo);
      return copy;
    }
    case "[object Error]": {
      const Ctor = CLONEABLE_ERRORS[value.name] ?? Error;
      copy = new Ctor(value.message);
      memo.set(value, copy);
      if (typeof value.stack === "string") defineHidden(copy, "stack", value.stack);
      if ("cause" in value) defineHidden(copy, "cause", structuredCloneValue(value.cause, memo));
      return copy;
    }
    default:
      break;
  }
  if (copy !== undefined) {
    memo.set(value, copy);
    return copy;
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = structuredCloneValue(value.buffer, memo);
    const Ctor = value.constructor;
    copy = value instanceof DataView
      ? new DataView(buffer, value.byteOffset, value.byteLength)
      : new Ctor(buffer, value.byteOffset, value.length);
    memo.set(value, copy);
    return copy;
  }
  if (tag !== "[object Object]" || value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
    throw cloneError(`${inspectValue(value, 4, [], "")} could not be cloned.`);
  }
  copy = {};
  memo.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = structuredCloneValue(value[key], memo);
  return copy;
}

defineGlobal("structuredClone", function structuredClone(value, _options) {
  if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required");
  return structuredCloneValue(value, new Map());
});
