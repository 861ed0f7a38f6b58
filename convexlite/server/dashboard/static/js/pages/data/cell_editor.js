// The in-place editor of one field of one document: Enter saves, Escape cancels.

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { toJson } from "../../values.js";
import { patchFields, readFieldValue } from "./patch.js";

// The editor's element; `close()` is called once it is saved or cancelled.
export function cellEditor(session, where, doc, column, close) {
  const input = h("input", {
    className: "cell-editor", placeholder: "JSON (empty: remove the field)",
    value: doc[column] === undefined ? "" : JSON.stringify(toJson(doc[column])),
  });
  const error = h("span", { className: "error cell-error" });
  input.onkeydown = async (event) => {
    if (event.key === "Escape") return close();
    if (event.key !== "Enter") return;
    try {
      await patchFields(session, where, { [column]: readFieldValue(input.value) }, [doc._id]);
      close();
    } catch (e) {
      replace(error, errorText(e));
    }
  };
  return h("span", { className: "cell-edit" }, input, error);
}
