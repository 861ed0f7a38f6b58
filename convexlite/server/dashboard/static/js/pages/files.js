// Files: the stored files live, newest or oldest first, between optional dates, a page at a
// time; upload, download, preview (`#/files/<id>` links to one), delete the selected ones.

import { componentPage } from "../component_picker.js";
import { confirmInline } from "../confirm_inline.js";
import { h, replace, stylesheet } from "../dom.js";
import { formatTime } from "../times.js";
import { downloadLink, formatBytes } from "./files_facts.js";
import { showFile } from "./files_preview.js";
import { uploader } from "./files_upload.js";

const PAGE_SIZE = 20;
const MODULE = "_system/frontend/fileStorageV2";

export function mount(container, session, [fileId]) {
  stylesheet("files");
  return componentPage(container, session, {
    title: "Files",
    errorId: "files-error",
    render: (body, componentId, report, first) => {
      if (!first) history.replaceState(null, "", "#/files"); // a link names an app's file
      return browse(body, session, componentId, first ? fileId : undefined, report);
    },
  });
}

function browse(main, session, componentId, openId, report) {
  const readOnly = session.readOnly;
  const selected = new Set();
  let files = [];
  let stopPages = () => {};
  let stopPreview = () => {};
  const count = h("span", { id: "file-count" }, "…");
  const total = h("span", { className: "muted", id: "files-total" });
  const order = h("select", { id: "files-order" },
    h("option", { value: "desc" }, "Newest first"), h("option", { value: "asc" }, "Oldest first"));
  const from = h("input", { type: "date", id: "files-from", title: "Uploaded on or after" });
  const to = h("input", { type: "date", id: "files-to", title: "Uploaded on or before" });
  const deleteButton = h("button", { className: "danger", id: "delete-files" });
  const confirmPlace = h("span", {});
  const preview = h("div", {});
  const grid = h("div", { className: "grid-wrap" }, "…");
  const more = h("button", { id: "files-more", hidden: true }, "Load more");

  const open = (id) => {
    stopPreview();
    history.replaceState(null, "", `#/files/${encodeURIComponent(id)}`);
    stopPreview = showFile(preview, session, id, componentId, close);
  };
  const close = () => {
    stopPreview();
    stopPreview = () => {};
    replace(preview);
    history.replaceState(null, "", "#/files");
  };

  const refreshDeleteButton = () => {
    replace(deleteButton, `Delete selected (${selected.size})`);
    deleteButton.disabled = readOnly || selected.size === 0;
  };
  deleteButton.onclick = () => {
    const ids = [...selected];
    confirmInline(confirmPlace, `Delete ${ids.length} file${ids.length === 1 ? "" : "s"}?`,
      "Delete", async () => {
        try {
          await session.mutation(`${MODULE}:deleteFiles`, { storageIds: ids, componentId });
          for (const id of ids) selected.delete(id);
          refreshDeleteButton();
        } catch (e) {
          report(e);
        }
      });
  };

  const render = (status) => {
    for (const id of [...selected]) if (!files.some((f) => f._id === id)) selected.delete(id);
    const bytes = files.reduce((sum, f) => sum + Number(f.size), 0);
    replace(total, status === "Exhausted"
      ? `${formatBytes(bytes)} in all`
      : `${formatBytes(bytes)} in the ${files.length} listed`);
    const rows = files.map((file) => h("tr", { "data-id": file._id },
      h("td", {}, h("input", {
        type: "checkbox", checked: selected.has(file._id), disabled: readOnly,
        onchange: (event) => {
          if (event.target.checked) selected.add(file._id); else selected.delete(file._id);
          refreshDeleteButton();
        },
      })),
      h("td", {}, file._id),
      h("td", { className: "number" }, formatBytes(file.size)),
      h("td", {}, file.contentType ?? ""),
      h("td", {}, formatTime(file._creationTime)),
      h("td", { className: "actions" },
        h("button", { className: "preview", onclick: () => open(file._id) }, "Preview"),
        downloadLink(file))));
    replace(grid, files.length === 0
      ? h("p", { className: "muted", id: "no-files" }, "No files.")
      : h("table", { className: "grid", id: "files" },
        h("thead", {}, h("tr", {}, h("th", {}), h("th", {}, "Id"), h("th", {}, "Size"),
          h("th", {}, "Content type"), h("th", {}, "Uploaded"), h("th", {}))),
        h("tbody", {}, rows)));
    more.hidden = status !== "CanLoadMore";
    refreshDeleteButton();
  };

  const dayStart = (input) => (input.value ? new Date(`${input.value}T00:00`).getTime() : undefined);
  const subscribe = () => {
    stopPages();
    files = [];
    let loadMore = () => {};
    more.onclick = () => loadMore(PAGE_SIZE);
    const end = dayStart(to);
    const filters = {
      order: order.value,
      minCreationTime: dayStart(from),
      maxCreationTime: end === undefined ? undefined : end + 86_400_000 - 1,
    };
    stopPages = session.client.onPaginatedUpdate_experimental(`${MODULE}:fileMetadata`,
      { filters, componentId }, { initialNumItems: PAGE_SIZE },
      (result) => {
        if (result.status === "LoadingFirstPage") return; // keeps the rows shown until then
        files = result.results;
        loadMore = result.loadMore;
        render(result.status);
      }, report);
  };
  order.onchange = from.onchange = to.onchange = subscribe;

  replace(main,
    h("div", { className: "toolbar" }, count, total, uploader(session, componentId, open)),
    preview,
    h("div", { className: "toolbar" }, order, h("label", {}, "From ", from),
      h("label", {}, "To ", to), deleteButton, confirmPlace),
    grid, more);
  const stopCount = session.watch(`${MODULE}:numFiles`, { componentId },
    (n) => replace(count, `${n} file${n === 1 ? "" : "s"}`), report);
  subscribe();
  if (openId !== undefined) open(openId);
  return () => {
    stopCount();
    stopPages();
    stopPreview();
  };
}
