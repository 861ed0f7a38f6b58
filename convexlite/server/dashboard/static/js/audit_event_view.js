// An audit-log event in words (operator.md §3.4): a one-line summary, and a detail with
// what a push changed and the event's whole metadata.

import { h, stylesheet } from "./dom.js";
import { toJson } from "./values.js";

const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const IMPORT_FORMATS = { csv: "CSV", jsonl: "JSONL", json_array: "JSON", zip: "ZIP" };

// The summary's sentence, without its author.
export function summary(event) {
  const m = event.metadata ?? {};
  const inComponent = m.component ? ` in component ${m.component}` : "";
  const table = m.table ? ` in table ${m.table}` : "";
  switch (event.action) {
    case "create_environment_variable":
    case "update_environment_variable":
    case "delete_environment_variable":
      return `${event.action.split("_")[0]}d the environment variable ${m.variable_name}`;
    case "replace_environment_variable":
      return `renamed the environment variable ${m.previous_variable_name} to ${m.variable_name}`;
    case "push_config":
    case "push_config_with_components":
      return `deployed functions${pushCounts(m)}`;
    case "pause_deployment":
      return "paused the deployment";
    case "unpause_deployment":
      return "resumed the deployment";
    case "change_deployment_state":
      return `changed the deployment from ${m.old_state} to ${m.new_state}`;
    case "build_indexes":
      return "updated indexes";
    case "add_documents":
      return `added ${count(m.document_ids?.length ?? 0, "document")}${table}${inComponent}`;
    case "update_documents":
      return `edited ${count(m.document_ids?.length ?? 0, "document")}${table}${inComponent}`;
    case "delete_documents":
      return `deleted ${count(m.document_ids?.length ?? 0, "document")}${table}${inComponent}`;
    case "create_table":
      return `created the table ${m.table}${inComponent}`;
    case "delete_tables":
      return `deleted ${count(m.table_names.length, "table")} (${m.table_names.join(", ")})${inComponent}`;
    case "clear_tables":
      return "cleared tables";
    case "delete_files":
      return `deleted ${count(m.storage_ids?.length ?? 0, "file")}${inComponent}`;
    case "generate_upload_url":
      return `generated a file upload URL${inComponent}`;
    case "cancel_scheduled_function":
      return `canceled a scheduled run of ${m.function_path ?? "a function"}${inComponent}`;
    case "cancel_all_scheduled_functions":
      return `canceled all scheduled functions${inComponent}`;
    case "delete_scheduled_jobs_table":
      return `deleted the scheduled functions table${inComponent}`;
    case "snapshot_import":
      return `imported a snapshot from a ${IMPORT_FORMATS[m.import_format?.format] ?? "?"} file ` +
        `into ${count(m.table_count ?? 0, "table")} (${m.import_mode})`;
    case "request_export":
      return `requested a snapshot export (${m.format})${inComponent}`;
    case "cancel_export":
      return "canceled a snapshot export";
    case "set_export_expiration":
      return "changed a snapshot export's expiration";
    case "delete_component":
      return `deleted the component ${m.component ?? m.component_id}`;
    default:
      return event.action.replaceAll("_", " ");
  }
}

function pushCounts(metadata) {
  let added = 0;
  let removed = 0;
  for (const { component_diff: diff } of metadata.component_diffs ?? []) {
    added += diff.moduleDiff?.added?.length ?? 0;
    removed += diff.moduleDiff?.removed?.length ?? 0;
  }
  if (added + removed === 0) return "";
  return ` (${[added && `${added} added`, removed && `${removed} removed`].filter(Boolean).join(", ")} ` +
    `module${added + removed === 1 ? "" : "s"})`;
}

// The detail: a push's changes by component, then the metadata as JSON.
export function detail(event) {
  stylesheet("audit_events");
  const m = event.metadata ?? {};
  const parts = [];
  for (const { component_path: path, component_diff: diff } of m.component_diffs ?? []) {
    parts.push(h("h4", {}, path === null ? "App" : `Component ${path}`,
      diff.diffType?.type ? ` (${diff.diffType.type})` : ""),
    h("ul", {}, componentChanges(diff)));
  }
  if (m.auth_diff && (m.auth_diff.added?.length || m.auth_diff.removed?.length)) {
    parts.push(h("h4", {}, "Authentication"),
      h("ul", {}, changeItems("provider", m.auth_diff.added, m.auth_diff.removed)));
  }
  parts.push(h("pre", { className: "metadata" }, JSON.stringify(toJson(m), null, 2)));
  return h("div", { className: "event-detail" }, parts);
}

function componentChanges(diff) {
  const items = [
    ...changeItems("module", diff.moduleDiff?.added, diff.moduleDiff?.removed),
    ...changeItems("index", diff.indexDiff?.added_indexes?.map(indexText),
      diff.indexDiff?.removed_indexes?.map(indexText)),
    ...changeItems("cron", diff.cronDiff?.added, diff.cronDiff?.deleted, diff.cronDiff?.updated),
  ];
  if (diff.schemaDiff) items.push(h("li", {}, "schema changed"));
  if (diff.udfConfigDiff) {
    items.push(h("li", {}, "server version ", diff.udfConfigDiff.previous_version, " → ",
      diff.udfConfigDiff.next_version));
  }
  return items.length > 0 ? items : [h("li", { className: "muted" }, "no changes")];
}

function changeItems(what, added = [], removed = [], updated = []) {
  return [
    ...added.map((name) => h("li", { className: "added" }, `+ ${what} `, h("code", {}, name))),
    ...updated.map((name) => h("li", { className: "updated" }, `~ ${what} `, h("code", {}, name))),
    ...removed.map((name) => h("li", { className: "removed" }, `− ${what} `, h("code", {}, name))),
  ];
}

function indexText(index) {
  const fields = index.fields ?? [index.searchField ?? index.vectorField].filter(Boolean);
  return `${index.name ?? "?"} (${index.type ?? "database"}: ${fields.join(", ")})`;
}
