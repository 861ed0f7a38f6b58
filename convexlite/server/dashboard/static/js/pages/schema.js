// Schema: the deployed schema of the app or of a component (`#/schema/<componentId>`) as
// the TypeScript that declares it, live; and a pushed schema still being validated, if any.

import { componentPicker } from "../component_picker.js";
import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { schemaText } from "../schema_text.js";

const text = (json) => (json ? schemaText(JSON.parse(json)) : null);

function progressText(progress) {
  if (!progress) return "Being validated against the documents.";
  const { numDocsValidated: done, totalDocs: total } = progress;
  return `Validating the documents: ${done}${total === null ? "" : ` of ${total}`} checked.`;
}

export function mount(container, session, [param]) {
  const componentId = param || null;
  stylesheet("schema");
  const error = h("p", { className: "error", id: "schema-error" });
  const report = (e) => replace(error, errorText(e));
  const active = h("pre", { className: "schema-code", id: "schema-active" }, "…");
  const pending = h("div", { id: "schema-pending" });
  const picker = componentPicker(session, componentId,
    (id) => { location.hash = id ? `#/schema/${encodeURIComponent(id)}` : "#/schema"; }, report);
  replace(container, h("div", { className: "toolbar page-head" }, h("h1", {}, "Schema"), picker.element),
    error, pending, h("h2", {}, "Active schema"), active);

  let progress = null;
  let inProgress = null;
  const showPending = () => replace(pending, inProgress === null ? null : h("section", {},
    h("h2", {}, "Pending schema"),
    h("p", { id: "schema-progress" }, progressText(progress)),
    h("pre", { className: "schema-code" }, inProgress)));
  const stops = [
    session.watch("_system/frontend/getSchemas:default", { componentId }, (schemas) => {
      replace(active, text(schemas.active) ?? "No schema is deployed: tables hold documents of any shape.");
      inProgress = text(schemas.inProgress);
      showPending();
    }, report),
    session.watch("_system/frontend/getSchemas:schemaValidationProgress", { componentId }, (value) => {
      progress = value;
      showPending();
    }, report),
    picker.stop,
  ];
  return () => stops.forEach((stop) => stop());
}
