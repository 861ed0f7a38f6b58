// A function's args validator (validator JSON, spec/functions.md §1.6.3): an example value
// to pre-fill the runner's arguments, and a one-line signature to show beside the function.

import { fromJson } from "../../values.js";

// The simplest value the validator accepts: "" , 0, 0n, false, [], an object of its
// required fields, a union's first member, a literal's own value. An id can only be a
// placeholder naming its table.
export function exampleValue(validator) {
  switch (validator.type) {
    case "string": return "";
    case "number": return 0;
    case "bigint": return 0n;
    case "boolean": return false;
    case "bytes": return new ArrayBuffer(0);
    case "id": return `<id of ${validator.tableName}>`;
    case "literal": return fromJson(validator.value);
    case "array": return [];
    case "record": return {};
    case "union": return validator.value.length > 0 ? exampleValue(validator.value[0]) : null;
    case "object": return Object.fromEntries(Object.entries(validator.value)
      .filter(([, field]) => !field.optional)
      .map(([name, field]) => [name, exampleValue(field.fieldType)]));
    default: return null; // any, null
  }
}

const NAMES = { number: "float64", bigint: "int64" };

// E.g. `{author: string, n?: int64, tags: string[]}`.
export function signature(validator) {
  switch (validator.type) {
    case "id": return `id<${validator.tableName}>`;
    case "literal": return JSON.stringify(validator.value);
    case "array": return `${wrapped(validator.value)}[]`;
    case "record":
      return `record<${signature(validator.keys)}, ${signature(validator.values.fieldType)}>`;
    case "union": return validator.value.map(signature).join(" | ");
    case "object": return `{${Object.entries(validator.value)
      .map(([name, field]) => `${name}${field.optional ? "?" : ""}: ${signature(field.fieldType)}`)
      .join(", ")}}`;
    default: return NAMES[validator.type] ?? validator.type;
  }
}

const wrapped = (validator) =>
  (validator.type === "union" ? `(${signature(validator)})` : signature(validator));
