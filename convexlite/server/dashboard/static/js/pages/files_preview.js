// One file in detail, as a deep link (`#/files/<id>`) shows it: its facts, a download link,
// and its content: an image inline, text as text, anything else by its size and type.

import { h, replace } from "../dom.js";
import { errorText } from "../session.js";
import { formatTime } from "../times.js";
import { downloadLink, formatBytes, localUrl } from "./files_facts.js";

const IMAGE_LIMIT = 10 * 1024 * 1024;
const TEXT_LIMIT = 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)|image\/svg\+xml)/;

// Watches the file `storageId` into `place`; returns the unsubscribe function.
export function showFile(place, session, storageId, componentId, onClose) {
  const controller = new AbortController();
  let shown = null;
  const stop = session.watch("_system/frontend/fileStorageV2:getFile",
    { storageId, componentId }, (file) => {
      if (file === null) {
        shown = null;
        return replace(place, h("section", { id: "file-preview" },
          h("p", { className: "error" }, `No file with id ${storageId}.`), closeButton(onClose)));
      }
      if (shown === file._id) return;
      shown = file._id;
      const content = h("div", { id: "preview-content" });
      replace(place, h("section", { id: "file-preview" },
        h("div", { className: "toolbar" }, h("h2", {}, file._id), downloadLink(file),
          closeButton(onClose)),
        h("dl", { className: "facts" },
          h("dt", {}, "Size"), h("dd", {}, formatBytes(file.size)),
          h("dt", {}, "Content type"), h("dd", {}, file.contentType ?? "unknown"),
          h("dt", {}, "Uploaded"), h("dd", {}, formatTime(file._creationTime)),
          h("dt", {}, "SHA-256"), h("dd", {}, file.sha256)),
        content));
      preview(content, file, controller.signal);
    }, (e) => replace(place, h("p", { className: "error" }, errorText(e))));
  return () => {
    controller.abort();
    stop();
  };
}

function closeButton(onClose) {
  return h("button", { id: "preview-close", onclick: onClose }, "Close");
}

async function preview(content, file, signal) {
  const type = file.contentType ?? "";
  if (type.startsWith("image/") && !type.includes("svg") && file.size <= IMAGE_LIMIT) {
    return replace(content, h("img", { src: localUrl(file.url), alt: file._id, id: "preview-image" }));
  }
  if (TEXT_TYPES.test(type) && file.size <= TEXT_LIMIT) {
    try {
      const response = await fetch(localUrl(file.url), { signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return replace(content, h("pre", { id: "preview-text" }, await response.text()));
    } catch (e) {
      if (signal.aborted) return;
      return replace(content, h("p", { className: "error" }, `Could not read it: ${errorText(e)}`));
    }
  }
  replace(content, h("p", { className: "muted", id: "preview-none" },
    `No preview for ${type || "a file of unknown type"} (${formatBytes(file.size)}).`));
}
