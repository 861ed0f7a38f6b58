// The Data page's address, `#/data/<table>?component=<id>&filters=<base64>`: a reload or
// a shared link opens the same table of the same component with the same filters.

import { encodeFilters } from "../../values.js";

// {table, componentId, expression, error} of the route's parameter (`<table>?<query>`).
export function parseRoute(param = "") {
  const mark = param.indexOf("?");
  const table = mark < 0 ? param : param.slice(0, mark);
  const search = new URLSearchParams(mark < 0 ? "" : param.slice(mark + 1));
  const route = { table: table || undefined, componentId: search.get("component") || null };
  const filters = search.get("filters");
  if (!filters) return { ...route, expression: null, error: null };
  try {
    return { ...route, expression: decodeFilters(filters), error: null };
  } catch (e) {
    return { ...route, expression: null, error: `The address's filters could not be read: ${e.message}` };
  }
}

export function dataHash({ table, componentId, filters }) {
  const search = new URLSearchParams();
  if (componentId) search.set("component", componentId);
  if (filters) search.set("filters", filters);
  const query = search.toString();
  return `#/data/${table ? encodeURIComponent(table) : ""}${query ? `?${query}` : ""}`;
}

// The inverse of values.js's encodeFilters.
function decodeFilters(encoded) {
  const base64 = encoded.replaceAll("-", "+").replaceAll("_", "/");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const expression = JSON.parse(new TextDecoder().decode(bytes));
  if (!Array.isArray(expression?.clauses)) throw new Error("no clauses");
  return expression;
}

// The address of one document: its table filtered to its `_id`.
export function documentHash(table, componentId, id) {
  const clause = { id: "_id", field: "_id", op: "eq", value: id, enabled: true };
  return dataHash({ table, componentId, filters: encodeFilters({ clauses: [clause], order: "desc" }) });
}
