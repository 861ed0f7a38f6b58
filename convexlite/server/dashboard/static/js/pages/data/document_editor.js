// The JSON editor of a whole document: an existing one, or a new one (`doc` undefined)
// starting from `template`.

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { fromJson, toJson } from "../../values.js";
import { SYSTEM_FIELDS } from "./grid.js";

export function documentEditor(session, { table, componentId }, doc, container, template = {}) {
  const fields = doc ? Object.fromEntries(
    Object.entries(doc).filter(([k]) => !SYSTEM_FIELDS.includes(k))) : template;
  const text = h("textarea", { id: "editor-text" });
  text.value = JSON.stringify(toJson(fields), null, 2);
  const message = h("p", { className: "error", id: "editor-error" });
  const save = async () => {
    let value;
    try {
      value = fromJson(JSON.parse(text.value));
    } catch (e) {
      return replace(message, `Not valid JSON: ${e.message}`);
    }
    try {
      const result = doc
        ? await session.mutation("_system/frontend/replaceDocument:default",
          { id: doc._id, document: value, componentId })
        : await session.mutation("_system/frontend/addDocument:default",
          { table, documents: [value], componentId });
      if (result && result.success === false) return replace(message, result.error);
      replace(container);
    } catch (e) {
      replace(message, errorText(e));
    }
  };
  replace(container, h("div", { className: "editor" },
    h("h3", {}, doc ? `Edit ${doc._id}` : `Add a document to ${table}`),
    text, message,
    h("div", { className: "toolbar" },
      h("button", { className: "primary", id: "editor-save", onclick: save }, "Save"),
      h("button", { id: "editor-cancel", onclick: () => replace(container) }, "Cancel"))));
  text.focus();
}
