// The document "Add document" starts from: each required field of the table's validator
// with a value of its type, as the official dashboard does (an id field starts empty).

import { fromJson } from "../../values.js";

function defaultValue(type) {
  switch (type.type) {
    case "string": case "id": return "";
    case "number": return 0;
    case "bigint": return 0n;
    case "boolean": return false;
    case "bytes": return new ArrayBuffer(0);
    case "literal": return fromJson(type.value);
    case "array": return [];
    case "record": return {};
    case "object": return defaultDocument(type);
    case "union": return defaultValue(type.value[0]);
    default: return null;
  }
}

// `documentType` of the table's schema (undefined: no schema, an empty document).
export function defaultDocument(documentType) {
  if (documentType?.type !== "object") return {};
  return Object.fromEntries(Object.entries(documentType.value)
    .filter(([, field]) => !field.optional)
    .map(([name, field]) => [name, defaultValue(field.fieldType)]));
}
