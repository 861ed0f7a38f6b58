// Snapshot import: upload a ZIP in parts, then follow the imports live
// (`snapshotImport:list`): the server reads the file and says what would change, the
// operator confirms (or cancels), then its progress and outcome show.

import { h, replace } from "../../dom.js";
import { fetchWithKey } from "../../session.js";
import { formatCount } from "../../numbers.js";
import { formatTime } from "../../times.js";
import { reportedActions } from "./reported.js";

const PART_BYTES = 5 * 1024 * 1024; // as `npx convex import`
const MODES = [
  ["requireEmpty", "Only into empty tables"],
  ["append", "Append to existing documents"],
  ["replace", "Replace the imported tables"],
  ["replaceAll", "Replace all tables (tables not in the ZIP are deleted)"],
];
const UNFINISHED = ["uploaded", "waiting_for_confirmation", "in_progress"];

async function upload(session, file, mode, onProgress) {
  const { uploadToken } = await session.call("POST", "/api/import/start_upload");
  const partTokens = [];
  const parts = Math.max(1, Math.ceil(file.size / PART_BYTES));
  for (let part = 1; part <= parts; part += 1) {
    const query = new URLSearchParams({ uploadToken, partNumber: String(part) });
    const response = await fetchWithKey(session, `/api/import/upload_part?${query}`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: file.slice((part - 1) * PART_BYTES, part * PART_BYTES),
    });
    partTokens.push(await response.json());
    onProgress(part, parts);
  }
  return await session.call("POST", "/api/import/finish_upload",
    { import: { mode, format: "zip" }, uploadToken, partTokens });
}

export function importSection(session, report) {
  const readOnly = session.readOnly;
  const file = h("input", { type: "file", id: "import-file", accept: ".zip", disabled: readOnly });
  const mode = h("select", { id: "import-mode", disabled: readOnly },
    MODES.map(([value, label]) => h("option", { value }, label)));
  const uploadStatus = h("span", { id: "import-upload-status", className: "muted" });
  const start = h("button", { type: "button", className: "primary", id: "import-upload",
    disabled: readOnly }, "Upload");
  const list = h("div", { id: "imports" }, "…");

  const act = reportedActions(report);
  start.onclick = act(async () => {
    const chosen = file.files[0];
    if (!chosen) throw new Error("Choose a snapshot ZIP to import first.");
    start.disabled = true;
    try {
      await upload(session, chosen, mode.value, (part, parts) =>
        replace(uploadStatus, `Uploaded part ${part} of ${parts}`));
      replace(uploadStatus, `Uploaded ${chosen.name}: check the changes below, then confirm.`);
      file.value = "";
    } finally {
      start.disabled = false;
    }
  });

  const post = (path, importId) => act(() => session.call("POST", path, { importId }));
  const importCard = (doc) => {
    const state = doc.state;
    const cancel = UNFINISHED.includes(state.state) ? h("button", { type: "button",
      className: "import-cancel", disabled: readOnly,
      onclick: post("/api/cancel_import", doc._id) }, "Cancel") : null;
    const details = {
      uploaded: () => h("p", { className: "muted" }, "Reading the file…"),
      waiting_for_confirmation: () => [
        h("pre", { className: "import-summary" }, state.message_to_confirm),
        h("button", { type: "button", className: "danger import-confirm", disabled: readOnly,
          onclick: post("/api/perform_import", doc._id) }, "Confirm import")],
      in_progress: () => [
        h("p", {}, state.progress_message),
        h("ul", {}, (state.checkpoint_messages ?? []).map((m) => h("li", {}, m)))],
      completed: () => h("p", { className: "import-result" },
        `Imported ${formatCount(state.num_rows_written)} documents at ${formatTime(state.timestamp)}.`),
      failed: () => h("p", { className: "error" }, state.error_message),
    }[state.state];
    return h("div", { className: "import", "data-id": doc._id, "data-state": state.state },
      h("p", {}, h("strong", {}, state.state.replaceAll("_", " ")), " · ", doc.mode, " · ",
        formatTime(doc._creationTime)),
      details ? details() : null,
      h("div", { className: "toolbar" }, cancel));
  };

  const node = h("section", { id: "snapshot-import" },
    h("h2", {}, "Import a snapshot"),
    h("p", { className: "muted" }, "Upload a ZIP written by an export or ",
      h("code", {}, "npx convex export"), ". ",
      "Nothing changes until you confirm the summary of what the import will add and delete."),
    h("div", { className: "toolbar" }, file, mode, start, uploadStatus),
    h("h3", {}, "Recent imports"),
    list);
  const stop = session.watch("_system/frontend/snapshotImport:list", {}, (imports) =>
    replace(list, imports.length ? imports.map(importCard)
      : h("p", { className: "muted" }, "No imports yet.")), report);
  return { node, stop };
}
