// Setting or removing one field on every selected document at once, or on all of the
// table's (`ids` null: the server patches each document, within one mutation's budget).

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { confirmInline } from "../../confirm_inline.js";
import { patchFields, readFieldValue } from "./patch.js";

export function bulkEditor(session, where, ids, container) {
  const which = ids === null ? `all documents of ${where.table}`
    : `${ids.length} selected document${ids.length === 1 ? "" : "s"}`;
  const field = h("input", { id: "bulk-field", placeholder: "field" });
  const value = h("input", { id: "bulk-value", placeholder: "JSON value (empty: remove the field)" });
  const message = h("p", { className: "error", id: "bulk-error" });
  const confirmation = h("div", {});
  const apply = () => {
    replace(message);
    const name = field.value.trim();
    if (!name || name.startsWith("_")) return replace(message, "Name a field (not a system field).");
    let fieldValue;
    try {
      fieldValue = readFieldValue(value.value);
    } catch (e) {
      return replace(message, e.message);
    }
    const what = value.value.trim() ? `Set ${name} to ${value.value.trim()}` : `Remove ${name}`;
    confirmInline(confirmation, `${what} on ${which}?`, "Confirm", async () => {
      try {
        await patchFields(session, where, { [name]: fieldValue }, ids ?? undefined);
        replace(container);
      } catch (e) {
        replace(message, errorText(e));
      }
    });
  };
  replace(container, h("div", { className: "editor", id: "bulk-editor" },
    h("h3", {}, `Edit ${which}`),
    h("div", { className: "toolbar" }, field, value,
      h("button", { className: "primary", id: "bulk-apply", onclick: apply }, "Apply"),
      h("button", { id: "bulk-cancel", onclick: () => replace(container) }, "Cancel")),
    confirmation, message));
  field.focus();
}
