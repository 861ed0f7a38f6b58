// The filter bar: clauses on fields (compared with Convex JSON values, or by type) and a
// range of one of the table's indexes, built into the `FilterExpression` that
// paginatedTableDocuments takes (convexlite/functions/system/frontend_filters.py). The
// `{filter, error}` rows the server answers for a bad filter show beside their clause.

import { h, replace } from "../../dom.js";
import { UNDEFINED_PLACEHOLDER } from "./undefined_value.js";

const OPS = [
  ["eq", "="], ["neq", "≠"], ["gt", ">"], ["gte", "≥"], ["lt", "<"], ["lte", "≤"],
  ["anyOf", "is any of"], ["noneOf", "is none of"], ["type", "is of type"], ["notype", "is not of type"],
];
const TYPE_OPS = ["type", "notype"];
const SET_OPS = ["anyOf", "noneOf"];
const TYPES = ["string", "boolean", "number", "bigint", "null", "id", "array", "object", "bytes", "unset"];
const BY_CREATION_TIME = { name: "by_creation_time", fields: ["_creationTime"] };
const CREATION_TIME = "_creationTime";
let clauseCount = 0;

const options = (pairs, selected) =>
  pairs.map(([value, label]) => h("option", { value, selected: value === selected }, label));

// A JSON value typed by the user; `_creationTime` also takes a date ("2026-12-05T01:00").
function parseValue(text, field) {
  const asDate = () => {
    const time = Date.parse(text);
    if (Number.isNaN(time)) throw new Error(`Not JSON: ${text}`);
    return time;
  };
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    if (field === CREATION_TIME) return asDate();
    throw new Error(`Not JSON: ${text} (a string needs "quotes")`);
  }
  return field === CREATION_TIME && typeof value === "string" ? asDate() : value;
}

const valueText = (value) =>
  value === undefined || value === UNDEFINED_PLACEHOLDER ? "" : JSON.stringify(value);

// One clause `field op value`, its enabled box, and where its error shows.
function clauseRow(clause, onRemove, onEnter) {
  const field = h("input", { className: "filter-field", placeholder: "field", value: clause.field ?? "" });
  const op = h("select", { className: "filter-op" }, options(OPS, clause.op ?? "eq"));
  const value = h("input", { className: "filter-value", placeholder: "JSON value (empty: unset)" });
  const type = h("select", { className: "filter-type" }, options(TYPES.map((t) => [t, t]), clause.value));
  const enabled = h("input", {
    type: "checkbox", className: "filter-enabled", title: "Enabled", checked: clause.enabled !== false,
  });
  const error = h("span", { className: "error filter-error" });
  const isType = () => TYPE_OPS.includes(op.value);
  if (!TYPE_OPS.includes(clause.op)) value.value = valueText(clause.value);
  const showValue = () => {
    value.hidden = isType();
    type.hidden = !isType();
  };
  op.onchange = showValue;
  showValue();
  for (const input of [field, value]) input.onkeydown = (e) => e.key === "Enter" && onEnter();
  const element = h("div", { className: "filter-clause" }, enabled, field, op, value, type,
    h("button", { className: "filter-remove", title: "Remove", onclick: onRemove }, "×"), error);

  const read = () => {
    const name = field.value.trim();
    const result = { id: clause.id ?? `clause-${++clauseCount}`, op: op.value, enabled: enabled.checked };
    if (name) result.field = name;
    if (isType()) return { ...result, value: type.value };
    const text = value.value.trim();
    if (SET_OPS.includes(op.value)) {
      const list = parseValue(text || "[]", name);
      if (!Array.isArray(list)) throw new Error(`${op.value} needs a JSON array, e.g. ["a", "b"]`);
      return { ...result, value: list };
    }
    return { ...result, value: text ? parseValue(text, name) : UNDEFINED_PLACEHOLDER };
  };
  return { element, error, read };
}

// One field of the chosen index: any value, equal to one, or within a range.
function indexFieldRow(field, clause, onEnter) {
  const mode = h("select", { className: "index-mode" },
    options([["any", "any"], ["eq", "="], ["range", "range"]],
      clause?.type === "indexEq" ? "eq" : clause?.type === "indexRange" ? "range" : "any"));
  const input = (value) => {
    const node = h("input", { className: "index-value", value: valueText(value) });
    node.onkeydown = (e) => e.key === "Enter" && onEnter();
    return node;
  };
  const equal = input(clause?.value);
  const lowerOp = h("select", { className: "index-lower-op" },
    options([["gte", "≥"], ["gt", ">"]], clause?.lowerOp));
  const lower = input(clause?.lowerValue);
  const upperOp = h("select", { className: "index-upper-op" },
    options([["lte", "≤"], ["lt", "<"]], clause?.upperOp));
  const upper = input(clause?.upperValue);
  lower.classList.add("index-lower");
  upper.classList.add("index-upper");
  const range = h("span", {}, lowerOp, lower, " and ", upperOp, upper);
  const show = () => {
    equal.hidden = mode.value !== "eq";
    range.hidden = mode.value !== "range";
  };
  mode.onchange = show;
  show();
  const element = h("div", { className: "index-field", "data-field": field },
    h("code", {}, field), mode, equal, range);
  const read = () => {
    if (mode.value === "eq") {
      if (!equal.value.trim()) throw new Error(`Give ${field} a value to equal.`);
      return { type: "indexEq", enabled: true, value: parseValue(equal.value.trim(), field) };
    }
    if (mode.value === "any") return null;
    const clause = { type: "indexRange", enabled: true };
    if (lower.value.trim()) {
      Object.assign(clause, { lowerOp: lowerOp.value, lowerValue: parseValue(lower.value.trim(), field) });
    }
    if (upper.value.trim()) {
      Object.assign(clause, { upperOp: upperOp.value, upperValue: parseValue(upper.value.trim(), field) });
    }
    if (!clause.lowerOp && !clause.upperOp) {
      throw new Error(`Give ${field}'s range a lower or an upper bound.`);
    }
    return clause;
  };
  return { element, read };
}

// The bar for `initial` (a FilterExpression or null); `onApply(expression)` with the
// clauses and index (not the order, which the page's own select holds).
export function filterBar(initial, onApply) {
  let rows = [];
  let indexes = [BY_CREATION_TIME];
  let indexRows = [];
  let wantedIndex = initial?.index ?? null;
  const clauseList = h("div", { id: "filter-clauses" });
  const indexSelect = h("select", { id: "index-name" });
  const indexFields = h("div", { id: "index-fields" });
  const indexError = h("span", { className: "error", id: "index-error" });
  const formError = h("p", { className: "error", id: "filter-error" });

  const apply = () => {
    for (const row of rows) replace(row.error);
    replace(indexError);
    replace(formError);
    let failed = false;
    const clauses = rows.map((row) => {
      try {
        return row.read();
      } catch (e) {
        replace(row.error, e.message);
        failed = true;
        return null;
      }
    });
    let index;
    try {
      index = readIndex();
    } catch (e) {
      replace(indexError, e.message);
      failed = true;
    }
    if (failed) return replace(formError, "Fix the filters marked above.");
    onApply(index ? { clauses, index } : { clauses });
  };
  const addRow = (clause = {}) => {
    const row = clauseRow(clause, () => {
      rows = rows.filter((r) => r !== row);
      row.element.remove();
    }, apply);
    rows.push(row);
    clauseList.append(row.element);
    return row;
  };
  const readIndex = () => {
    if (!indexSelect.value) return null;
    const clauses = [];
    let ended = false;
    for (const row of indexRows) {
      const clause = row.read();
      if (clause === null) {
        ended = true;
        continue;
      }
      if (ended) throw new Error("An index filters on its first fields: set the fields before this one too.");
      clauses.push(clause);
      ended = clause.type === "indexRange";
    }
    return { name: indexSelect.value, clauses };
  };
  const showIndex = (clauses = []) => {
    const chosen = indexes.find((i) => i.name === indexSelect.value);
    indexRows = (chosen?.fields ?? []).map((field, n) => indexFieldRow(field, clauses[n], apply));
    replace(indexFields, indexRows.map((row) => row.element));
  };
  const listIndexes = () => {
    const names = indexes.map((i) => i.name);
    const selected = wantedIndex?.name ?? indexSelect.value;
    replace(indexSelect, h("option", { value: "" }, "No index"),
      options(names.map((n) => [n, n]), selected),
      selected && !names.includes(selected)
        ? h("option", { value: selected, selected: true }, selected) : null);
    if (wantedIndex !== null && names.includes(wantedIndex.name)) {
      showIndex(wantedIndex.clauses);
      wantedIndex = null;
    }
  };
  indexSelect.onchange = () => {
    wantedIndex = null;
    showIndex();
  };
  for (const clause of initial?.clauses ?? []) addRow(clause);
  listIndexes();

  const element = h("div", { className: "filter-bar", id: "filter-bar" },
    clauseList,
    h("div", { className: "toolbar" },
      h("button", {
        id: "add-filter", onclick: () => addRow().element.querySelector("input.filter-field").focus(),
      }, "+ Filter"),
      h("label", {}, "Index ", indexSelect), indexFields, indexError),
    h("div", { className: "toolbar" },
      h("button", { className: "primary", id: "apply-filters", onclick: apply }, "Apply filters"),
      h("button", {
        id: "reset-filters",
        onclick: () => {
          rows.forEach((row) => row.element.remove());
          rows = [];
          indexSelect.value = "";
          showIndex();
          apply();
        },
      }, "Reset")),
    formError);

  return {
    element,
    // The server's `{filter, error}` rows: -1 is about the index, else a clause's number.
    showErrors(problems) {
      for (const row of rows) replace(row.error);
      replace(indexError);
      for (const { filter, error } of problems) {
        if (filter === -1) replace(indexError, error);
        else if (rows[filter]) replace(rows[filter].error, error);
        else replace(formError, error);
      }
    },
    // The table's indexes ({name, fields}), from the `indexes` system function.
    setIndexes(list) {
      const before = JSON.stringify(indexes);
      indexes = [...list.map(({ name, fields }) => ({ name, fields })), BY_CREATION_TIME];
      if (JSON.stringify(indexes) !== before) listIndexes();
    },
  };
}
