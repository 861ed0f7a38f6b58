// The open table's schema (its validator from the active schema, live) and its indexes
// with their fields and state (fed by the page, which watches them for the filter bar too).
// The page's "Add document" starts from the validator too (`declared`).

import { h, replace } from "../../dom.js";
import { tableText } from "../../schema_text.js";

function stateText({ backfill, staged }) {
  const stats = backfill?.stats;
  let text = { done: "ready", backfilled: "backfilled" }[backfill?.state] ?? backfill?.state ?? "ready";
  if (backfill?.state === "backfilling" && stats?.totalDocs) {
    text += ` (${Math.floor((100 * stats.numDocsIndexed) / stats.totalDocs)}%)`;
  }
  return staged ? `${text}, staged` : text;
}

export function schemaPanel(session, { table, componentId }, report) {
  const validator = h("pre", { className: "code", id: "table-validator" }, "…");
  const indexes = h("div", { id: "table-indexes" }, "…");
  const pending = h("div", {});
  const element = h("details", { className: "schema-panel", id: "table-schema" },
    h("summary", {}, "Schema & indexes"),
    h("h4", {}, "Schema"), pending, validator, h("h4", {}, "Indexes"), indexes);
  let declared;
  const stop = session.watch("_system/frontend/getSchemas:default", { componentId }, (schemas) => {
    const schema = schemas.active ? JSON.parse(schemas.active) : null;
    declared = schema?.tables?.find((t) => t.tableName === table);
    replace(validator, schema === null ? "No schema is deployed: documents may have any shape."
      : declared ? tableText(declared) : `The schema does not declare ${table}.`);
    const schemaPage = `#/schema/${encodeURIComponent(componentId ?? "")}`;
    replace(pending, schemas.inProgress ? h("p", {},
      "A new schema is being validated: see the ", h("a", { href: schemaPage }, "Schema page"), ".") : null);
  }, report);
  return {
    element,
    stop,
    // The table's entry of the active schema (`documentType`, indexes), if it declares one.
    declared: () => declared,
    setIndexes(list) {
      replace(indexes, list.length === 0
        ? h("p", { className: "muted" }, "No indexes besides by_id and by_creation_time.")
        : h("table", { className: "grid" },
          h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Fields"), h("th", {}, "State"))),
          h("tbody", {}, list.map((index) => h("tr", { "data-index": index.name },
            h("td", {}, index.name), h("td", {}, index.fields.join(", ")),
            h("td", { className: "index-state" }, stateText(index)))))));
    },
  };
}
