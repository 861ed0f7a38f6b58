// Convex values <-> the JSON the editors show: Convex's own JSON encoding
// (int64 as {"$integer": base64}, bytes as {"$bytes": base64}), so nothing is lost.

function bytesToBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function base64ToBytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function toJson(value) {
  if (typeof value === "bigint") {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigInt64(0, value, true);
    return { $integer: bytesToBase64(new Uint8Array(view.buffer)) };
  }
  if (value instanceof ArrayBuffer) return { $bytes: bytesToBase64(new Uint8Array(value)) };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

export function fromJson(value) {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$integer") {
      return new DataView(base64ToBytes(value.$integer).buffer).getBigInt64(0, true);
    }
    if (keys.length === 1 && keys[0] === "$bytes") return base64ToBytes(value.$bytes).buffer;
    return Object.fromEntries(keys.map((k) => [k, fromJson(value[k])]));
  }
  return value;
}

// One line of text for a grid cell.
export function display(value) {
  if (value === undefined) return "";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ArrayBuffer) return `bytes(${value.byteLength})`;
  if (typeof value === "string") return value;
  return JSON.stringify(toJson(value));
}

// URL-safe base64 (no padding) of UTF-8 JSON: paginatedTableDocuments' `filters`.
export function encodeFilters(expression) {
  const utf8 = new TextEncoder().encode(JSON.stringify(expression));
  return bytesToBase64(utf8).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
