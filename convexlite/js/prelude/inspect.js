// Rendering of console arguments in the style of the `object-inspect` package with
// {indent: 2, maxStringLength: 32768, customInspect: true}, which is what Convex's
// dashboard and CLI show (functions.md §3.7, protocol.md §4.6): strings are single-quoted,
// at the top level too (`[LOG] 'user' { id: 1 }`).

const INSPECT_MAX_DEPTH = 5;
const INSPECT_MAX_STRING = 32768;
const INSPECT_INDENT = "  ";
const objectToString = Object.prototype.toString;

function inspectTop(value) {
  if (typeof value === "string") return quoteString(value);
  if (value instanceof Error || objectToString.call(value) === "[object Error]") {
    const stack = safeGet(value, "stack");
    if (typeof stack === "string" && stack !== "") {
      const extra = ownEntries(value, new Set(["stack", "message"]), 0, [value], "");
      return extra.length === 0 ? stack : `${stack} ${joinEntries("{", extra, "}", "")}`;
    }
  }
  return inspectValue(value, 0, [], "");
}

function safeGet(obj, key) {
  try {
    return obj[key];
  } catch {
    return undefined;
  }
}

function quoteString(str) {
  let text = str;
  let suffix = "";
  if (text.length > INSPECT_MAX_STRING) {
    const remaining = text.length - INSPECT_MAX_STRING;
    text = text.slice(0, INSPECT_MAX_STRING);
    suffix = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
  }
  const escaped = text.replace(/(['\\])/g, "\\$1").replace(/[\x00-\x1f]/g, (ch) => {
    const code = ch.charCodeAt(0);
    const named = { 8: "b", 9: "t", 10: "n", 12: "f", 13: "r" }[code];
    if (named !== undefined) return `\\${named}`;
    return `\\x${code < 0x10 ? "0" : ""}${code.toString(16).toUpperCase()}`;
  });
  return `'${escaped}'${suffix}`;
}

function inspectKey(key) {
  if (typeof key === "symbol") return `[${String(key)}]`;
  return /[^\w$]/.test(key) || key === "" ? quoteString(key) : key;
}

function functionName(fn) {
  try {
    const name = fn.name;
    return typeof name === "string" ? name : "";
  } catch {
    return "";
  }
}

function joinEntries(open, entries, close, indent) {
  if (entries.length === 0) return `${open}${close}`;
  if (entries.some((entry) => entry.includes("\n"))) {
    const inner = `\n${indent}${INSPECT_INDENT}`;
    return `${open}${inner}${entries.join(`,${inner}`)}\n${indent}${close}`;
  }
  return `${open} ${entries.join(", ")} ${close}`;
}

function collection(type, size, entries, indent) {
  if (entries.length === 0) return `${type} (${size}) {}`;
  const inner = `\n${indent}${INSPECT_INDENT}`;
  return `${type} (${size}) {${inner}${entries.join(`,${inner}`)}\n${indent}}`;
}

function ownEntries(obj, skip, depth, seen, indent) {
  const entries = [];
  let keys;
  try {
    keys = Object.keys(obj);
  } catch {
    return entries;
  }
  const isArrayLike = Array.isArray(obj) || ArrayBuffer.isView(obj);
  for (const key of keys) {
    if (skip.has(key)) continue;
    if (isArrayLike && /^(0|[1-9][0-9]*)$/.test(key)) continue;
    entries.push(`${inspectKey(key)}: ${inspectValue(safeGet(obj, key), depth + 1, seen, indent + INSPECT_INDENT)}`);
  }
  let symbols = [];
  try {
    symbols = Object.getOwnPropertySymbols(obj);
  } catch {
    symbols = [];
  }
  for (const symbol of symbols) {
    if (!Object.prototype.propertyIsEnumerable.call(obj, symbol)) continue;
    entries.push(`${inspectKey(symbol)}: ${inspectValue(safeGet(obj, symbol), depth + 1, seen, indent + INSPECT_INDENT)}`);
  }
  return entries;
}

function inspectValue(value, depth, seen, indent) {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return quoteString(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
      return String(value);
    case "symbol":
      return value.toString();
    default:
      break;
  }
  if (value === null) return "null";
  if (seen.includes(value)) return "[Circular]";
  if (typeof value === "object" && typeof value.inspect === "function" && !(value instanceof Error)) {
    try {
      return String(value.inspect());
    } catch {
      // fall through to the structural rendering
    }
  }
  if (depth >= INSPECT_MAX_DEPTH && typeof value === "object") {
    return Array.isArray(value) ? "[Array]" : "[Object]";
  }
  const nested = [...seen, value];
  const next = indent;
  if (typeof value === "function") {
    const name = functionName(value);
    const entries = ownEntries(value, new Set(), depth, nested, next);
    const head = `[Function${name ? `: ${name}` : " (anonymous)"}]`;
    return entries.length === 0 ? head : `${head} { ${entries.join(", ")} }`;
  }
  if (Array.isArray(value)) {
    const items = [];
    for (let i = 0; i < value.length; i++) {
      items.push(i in value ? inspectValue(value[i], depth + 1, nested, next + INSPECT_INDENT) : "");
    }
    items.push(...ownEntries(value, new Set(), depth, nested, next));
    return joinEntries("[", items, "]", indent);
  }
  if (value instanceof Error) {
    const parts = ownEntries(value, new Set(["stack", "message"]), depth, nested, next);
    const head = `[${errorHeader(value)}]`;
    return parts.length === 0 ? head : `{ ${head} ${parts.join(", ")} }`;
  }
  if (value instanceof Map) {
    const entries = [];
    for (const [k, v] of value) {
      entries.push(`${inspectValue(k, depth + 1, nested, next + INSPECT_INDENT)} => ${inspectValue(v, depth + 1, nested, next + INSPECT_INDENT)}`);
    }
    return collection("Map", value.size, entries, indent);
  }
  if (value instanceof Set) {
    const entries = [];
    for (const v of value) entries.push(inspectValue(v, depth + 1, nested, next + INSPECT_INDENT));
    return collection("Set", value.size, entries, indent);
  }
  if (value instanceof WeakMap) return "WeakMap { ? }";
  if (value instanceof WeakSet) return "WeakSet { ? }";
  if (value instanceof OriginalDate) {
    const time = OriginalDate.prototype.getTime.call(value);
    return Number.isNaN(time) ? "Invalid Date" : OriginalDate.prototype.toISOString.call(value);
  }
  if (value instanceof RegExp) return RegExp.prototype.toString.call(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor?.name ?? "TypedArray";
    const items = Array.from(value, (item) => inspectValue(item, depth + 1, nested, next));
    items.push(...ownEntries(value, new Set(), depth, nested, next));
    return `${name}(${value.length}) ${joinEntries("[", items, "]", indent)}`;
  }
  if (value instanceof ArrayBuffer) {
    const bytes = Array.from(new Uint8Array(value), (b) => b.toString(16).padStart(2, "0"));
    return `ArrayBuffer { byteLength: ${value.byteLength}${bytes.length ? `, contents: <${bytes.join(" ")}>` : ""} }`;
  }
  for (const [Box, label] of [[Number, "Number"], [String, "String"], [Boolean, "Boolean"], [BigInt, "BigInt"], [Symbol, "Symbol"]]) {
    if (objectToString.call(value) === `[object ${label}]` && !(value instanceof Error)) {
      try {
        const primitive = Box.prototype.valueOf.call(value);
        return `Object(${inspectValue(primitive, depth + 1, nested, next)})`;
      } catch {
        break;
      }
    }
  }
  const entries = ownEntries(value, new Set(), depth, nested, next);
  return objectTag(value) + joinEntries("{", entries, "}", indent);
}

function objectTag(value) {
  const proto = Object.getPrototypeOf(value);
  const isPlain = proto === Object.prototype;
  const protoTag = proto === null ? "null prototype" : "";
  let stringTag = "";
  if (!isPlain && Symbol.toStringTag in value) {
    stringTag = objectToString.call(value).slice(8, -1);
  } else if (protoTag) {
    stringTag = "Object";
  }
  let constructorName = "";
  if (!isPlain) {
    const ctor = safeGet(value, "constructor");
    if (typeof ctor === "function" && functionName(ctor)) constructorName = `${functionName(ctor)} `;
  }
  const tags = [stringTag, protoTag].filter((tag) => tag !== "");
  return constructorName + (tags.length ? `[${tags.join(": ")}] ` : "");
}
