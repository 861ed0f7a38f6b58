// Setting (or removing) fields of some documents: patchDocumentsFields, as a cell edit and
// a bulk edit do.

import { fromJson } from "../../values.js";
import { UNDEFINED_PLACEHOLDER } from "./undefined_value.js";

// A field's new value typed as Convex JSON; empty means remove the field.
export function readFieldValue(text) {
  if (!text.trim()) return UNDEFINED_PLACEHOLDER;
  try {
    return fromJson(JSON.parse(text));
  } catch (e) {
    throw new Error(`Not valid JSON: ${e.message}`);
  }
}

export async function patchFields(session, { table, componentId }, fields, ids) {
  const result = await session.mutation("_system/frontend/patchDocumentsFields:default",
    ids === undefined ? { table, fields, componentId } : { table, fields, ids, componentId });
  if (result && result.success === false) throw new Error(result.error);
}
