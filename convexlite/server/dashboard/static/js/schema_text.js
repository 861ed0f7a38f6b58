// A schema's JSON (spec/functions.md §1.7) as the TypeScript that declares it, for people
// to read: `defineSchema({ t: defineTable({...}).index(...) })`.

const SIMPLE = {
  string: "v.string()", number: "v.float64()", bigint: "v.int64()", boolean: "v.boolean()",
  null: "v.null()", bytes: "v.bytes()", any: "v.any()",
};

const pad = (depth) => "  ".repeat(depth);
const key = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

function fieldText({ fieldType, optional }, depth) {
  const text = validatorText(fieldType, depth);
  return optional ? `v.optional(${text})` : text;
}

function objectText(fields, depth) {
  const entries = Object.entries(fields);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([name, field]) =>
    `${pad(depth + 1)}${key(name)}: ${fieldText(field, depth + 1)},`);
  return `{\n${lines.join("\n")}\n${pad(depth)}}`;
}

// A validator's JSON as `v.*` code.
export function validatorText(validator, depth = 0) {
  if (SIMPLE[validator.type]) return SIMPLE[validator.type];
  switch (validator.type) {
    case "id": return `v.id(${JSON.stringify(validator.tableName)})`;
    case "literal": return `v.literal(${JSON.stringify(validator.value)})`;
    case "array": return `v.array(${validatorText(validator.value, depth)})`;
    case "record":
      return `v.record(${validatorText(validator.keys, depth)}, ${fieldText(validator.values, depth)})`;
    case "object": return `v.object(${objectText(validator.value, depth)})`;
    case "union": {
      const members = validator.value.map((m) => `${pad(depth + 1)}${validatorText(m, depth + 1)},`);
      return `v.union(\n${members.join("\n")}\n${pad(depth)})`;
    }
    default: return JSON.stringify(validator);
  }
}

const list = (items) => `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
const quote = JSON.stringify;

// One table's `defineTable(...)` with its indexes, at `depth`.
export function tableText(table, depth = 0) {
  const type = table.documentType ?? { type: "any" };
  let text = type.type === "object"
    ? `defineTable(${objectText(type.value, depth)})`
    : `defineTable(${validatorText(type, depth)})`;
  const chain = (call) => { text += `\n${pad(depth + 1)}.${call}`; };
  for (const index of table.indexes ?? []) {
    chain(`index(${quote(index.indexDescriptor)}, ${list(index.fields)})`);
  }
  for (const index of table.searchIndexes ?? []) {
    const filters = list(index.filterFields ?? []);
    chain(`searchIndex(${quote(index.indexDescriptor)}, { searchField: ${quote(index.searchField)}, filterFields: ${filters} })`);
  }
  for (const index of table.vectorIndexes ?? []) {
    const filters = list(index.filterFields ?? []);
    chain(`vectorIndex(${quote(index.indexDescriptor)}, { vectorField: ${quote(index.vectorField)}, ` +
      `dimensions: ${index.dimensions}, filterFields: ${filters} })`);
  }
  return text;
}

// The whole schema's `defineSchema(...)`.
export function schemaText(schema) {
  const tables = (schema.tables ?? []).map((t) => `  ${key(t.tableName)}: ${tableText(t, 1)},`);
  const options = schema.schemaValidation === false ? ", { schemaValidation: false }" : "";
  return `export default defineSchema({\n${tables.join("\n")}\n}${options});`;
}
