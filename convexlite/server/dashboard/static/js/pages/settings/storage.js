// What the deployment stores and what retention keeps: documents (in all and per table),
// files, the store's size on disk, and retention's delay, floor and last pass. Counts are
// live; retention runs on the server's own thread, outside any query, so its status is
// fetched again every pass interval.

import { h, replace } from "../../dom.js";
import { formatBytes, formatCount } from "../../numbers.js";
import { formatTime } from "../../times.js";
import { formatSeconds } from "./format.js";

const RETENTION_REFRESH_MS = 15000; // the server's pass interval
const TABLES_SHOWN = 20;

export function storageSection(session, report) {
  const facts = {
    documents: h("dd", { id: "storage-documents" }, "…"),
    tables: h("dd", { id: "storage-tables" }, "…"),
    files: h("dd", { id: "storage-files" }, "…"),
    bytes: h("dd", { id: "storage-bytes" }, "…"),
  };
  const tableRows = h("tbody", { id: "storage-table-counts" });
  const retention = h("dl", { className: "facts", id: "retention" });
  const counted = new Map(); // table name → {row, stop}

  const showTables = (names) => {
    const shown = names.slice(0, TABLES_SHOWN);
    for (const [name, { stop }] of counted) {
      if (!shown.includes(name)) {
        stop();
        counted.delete(name);
      }
    }
    for (const name of shown) {
      if (counted.has(name)) continue;
      const count = h("td", { className: "number" }, "…");
      const stop = session.watch("_system/frontend/tableSize:default", { tableName: name },
        (n) => replace(count, formatCount(n)), report);
      counted.set(name, { row: h("tr", { "data-table": name }, h("td", {}, name), count), stop });
    }
    replace(tableRows, shown.map((name) => counted.get(name).row));
    const more = names.length - shown.length;
    replace(facts.tables, formatCount(names.length), more > 0 ? ` (the first ${TABLES_SHOWN} below)` : "");
  };

  const showRetention = (status) => {
    const r = status.retention;
    const last = r.lastPass;
    replace(facts.bytes, formatBytes(status.storeBytes));
    replace(retention,
      h("dt", {}, "History kept (DOCUMENT_RETENTION_DELAY)"),
      h("dd", { id: "retention-delay" }, formatSeconds(r.delaySeconds),
        r.running ? "" : " (retention is not running)"),
      h("dt", {}, "Oldest readable time (the floor)"),
      h("dd", { id: "retention-floor" }, r.floorMs ? formatTime(r.floorMs) : "the beginning"),
      h("dt", {}, "Last pass"),
      h("dd", { id: "retention-last-pass" }, last === null ? "none yet"
        : `${formatTime(last.finishedMs)}: deleted ${formatCount(last.documentsDeleted)} ` +
          `old revisions and ${formatCount(last.indexEntriesDeleted)} index entries`),
      h("dt", {}, "Deleted since the server started"),
      h("dd", { id: "retention-total" }, `${formatCount(r.documentsDeleted)} revisions, ` +
        `${formatCount(r.indexEntriesDeleted)} index entries in ${formatCount(r.passes)} passes`),
      r.oldestPinnedMs === null ? null : [
        h("dt", {}, "Held back by a transaction reading"),
        h("dd", {}, formatTime(r.oldestPinnedMs))]);
  };
  const refresh = () => session.call("GET", "/api/dashboard/storage").then(showRetention, report);
  refresh();
  const timer = setInterval(refresh, RETENTION_REFRESH_MS);

  const node = h("section", { id: "storage" },
    h("h2", {}, "Storage and retention"),
    h("dl", { className: "facts" },
      h("dt", {}, "Documents"), facts.documents,
      h("dt", {}, "Tables"), facts.tables,
      h("dt", {}, "Files"), facts.files,
      h("dt", {}, "Store on disk"), facts.bytes),
    h("table", { className: "grid storage-tables" },
      h("thead", {}, h("tr", {}, h("th", {}, "Table"), h("th", {}, "Documents"))), tableRows),
    h("h3", {}, "Retention"),
    h("p", { className: "muted" }, "Old revisions of documents are kept for reads at past ",
      "times (exports, the history of a query), then deleted by a background pass."),
    retention);
  const stops = [
    session.watch("_system/frontend/tableSize:sizeOfAllTables", {},
      (n) => replace(facts.documents, formatCount(n)), report),
    session.watch("_system/frontend/fileStorageV2:numFiles", {},
      (n) => replace(facts.files, formatCount(n)), report),
    session.watch("_system/frontend/getTableMapping:default", {}, (mapping) =>
      showTables(Object.values(mapping).filter((name) => !name.startsWith("_")).sort()), report),
  ];
  return {
    node,
    stop: () => {
      clearInterval(timer);
      stops.forEach((stop) => stop());
      counted.forEach(({ stop }) => stop());
    },
  };
}
