// Snapshot export: request one (with or without file storage), follow it live through
// `latestExport`, cancel it while it runs, download the ZIP once it completes.

import { h, replace } from "../../dom.js";
import { downloadWithKey } from "./download.js";
import { formatCount } from "../../numbers.js";
import { formatTime } from "../../times.js";
import { reportedActions } from "./reported.js";

const RUNNING = ["requested", "in_progress"];
const STATES = {
  requested: "Requested",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
};

export function exportSection(session, report) {
  const readOnly = session.readOnly;
  const includeStorage = h("input", { type: "checkbox", id: "export-include-storage" });
  const request = h("button", { type: "button", className: "primary", id: "export-request",
    disabled: true }, "Export a snapshot");
  const status = h("div", { id: "export-status" }, "…");
  const progress = h("ol", { id: "export-progress", className: "progress" });
  let shownId = null;
  let lastState = null;

  const act = reportedActions(report);
  request.onclick = act(() => session.call("POST",
    `/api/export/request/zip?includeStorage=${includeStorage.checked}`));

  const noteProgress = (doc) => {
    if (doc._id !== shownId) {
      shownId = doc._id;
      lastState = null;
      replace(progress);
    }
    if (doc.state === lastState) return;
    lastState = doc.state;
    progress.append(h("li", { "data-state": doc.state },
      `${new Date().toLocaleTimeString()} ${STATES[doc.state] ?? doc.state}`,
      doc.progress_message ? `: ${doc.progress_message}` : ""));
  };

  const show = (doc) => {
    const running = doc !== null && RUNNING.includes(doc.state);
    request.disabled = readOnly || running;
    if (doc === null) return replace(status, h("p", { className: "muted" }, "No export yet."));
    noteProgress(doc);
    const started = doc.start_ts ?? doc._creationTime;
    const expired = doc.expiration_ts !== undefined && Number(doc.expiration_ts / 1000000n) < Date.now();
    replace(status,
      h("p", {}, "Latest export: ",
        h("strong", { id: "export-state", "data-state": doc.state }, STATES[doc.state] ?? doc.state),
        doc.format?.include_storage ? " (with file storage)" : "",
        ", started ", formatTime(started),
        doc.complete_ts ? [", completed ", formatTime(doc.complete_ts)] : "",
        doc.expiration_ts ? [expired ? ", expired " : ", downloadable until ",
          formatTime(doc.expiration_ts)] : ""),
      doc.tables ? h("p", { className: "muted", id: "export-tables" },
        Object.entries(doc.tables).map(([name, n]) => `${name}: ${formatCount(n)}`).join(", ")
        || "no tables") : null,
      h("div", { className: "toolbar" },
        running ? h("button", { type: "button", className: "danger", id: "export-cancel",
          disabled: readOnly,
          onclick: act(() => session.call("POST", `/api/export/cancel/${doc._id}`)) },
        "Cancel export") : null,
        doc.state === "completed" && !expired ? h("button", { type: "button",
          id: "export-download", className: "primary",
          onclick: act(() => downloadWithKey(session, `/api/export/zip/${doc._id}`,
            "snapshot.zip")) }, "Download ZIP") : null));
  };

  const node = h("section", { id: "snapshot-export" },
    h("h2", {}, "Export a snapshot"),
    h("p", { className: "muted" }, "A ZIP of every table as of one moment (the format ",
      h("code", {}, "npx convex export"), " writes and ", h("code", {}, "npx convex import"),
      " reads)."),
    h("div", { className: "toolbar" }, request,
      h("label", {}, includeStorage, " include file storage")),
    status, progress);
  const stop = session.watch("_system/frontend/latestExport:default", {}, show, report);
  return { node, stop };
}
