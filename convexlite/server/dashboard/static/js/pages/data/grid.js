// The documents grid: a row per document with its selection box and Edit button, a column
// per field; an id of another table links to that document, and a double-click on a
// field's cell edits that one value in place (`editing`).

import { h } from "../../dom.js";
import { display } from "../../values.js";
import { tableNumberOfId } from "./ids.js";
import { documentHash } from "./route.js";

export const SYSTEM_FIELDS = ["_id", "_creationTime"];

// The columns of `rows`: `_id`, the other fields in order of appearance, `_creationTime`.
function columnsOf(rows) {
  const columns = ["_id"];
  for (const doc of rows) for (const key of Object.keys(doc)) {
    if (!SYSTEM_FIELDS.includes(key) && !columns.includes(key)) columns.push(key);
  }
  return [...columns, "_creationTime"];
}

// `view`: {rows, selected, readOnly, mapping, componentId, editing: {id, column, element}|null,
// onSelect(id, checked), onEdit(doc), onCellEdit(doc, column), onPreview(link, table, id)}.
export function grid(view) {
  const columns = columnsOf(view.rows);
  const cell = (doc, column) => {
    if (view.editing?.id === doc._id && view.editing.column === column) {
      return h("td", { className: "editing" }, view.editing.element);
    }
    const value = doc[column];
    const editable = !view.readOnly && !SYSTEM_FIELDS.includes(column);
    return h("td", {
      title: display(value),
      "data-column": column,
      ondblclick: editable ? () => view.onCellEdit(doc, column) : undefined,
    }, column === "_id" ? display(value) : idLink(value, view) ?? display(value));
  };
  return h("table", { className: "grid", id: "documents" },
    h("thead", {}, h("tr", {}, h("th", {}), h("th", {}), columns.map((c) => h("th", {}, c)))),
    h("tbody", {}, view.rows.map((doc) => h("tr", { "data-id": doc._id },
      h("td", {}, h("input", {
        type: "checkbox", checked: view.selected.has(doc._id), disabled: view.readOnly,
        onchange: (event) => view.onSelect(doc._id, event.target.checked),
      })),
      h("td", {}, h("button", {
        className: "edit", disabled: view.readOnly, onclick: () => view.onEdit(doc),
      }, "Edit")),
      columns.map((column) => cell(doc, column))))));
}

// A link to the document `value` names, when it is the id of a user table.
function idLink(value, { mapping, componentId, onPreview }) {
  const table = mapping?.[tableNumberOfId(value)];
  if (table === undefined || table.startsWith("_")) return null;
  const link = h("a", {
    className: "id-link", href: documentHash(table, componentId, value), title: `${table} ${value}`,
  }, value);
  link.addEventListener("mouseenter", () => onPreview(link, table, value), { once: true });
  return link;
}
