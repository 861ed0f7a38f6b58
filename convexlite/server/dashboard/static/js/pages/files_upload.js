// Uploading a file as the official dashboard does: an upload URL from
// `fileStorageV2:generateUploadUrl`, then the file POSTed to it with its type. XMLHttpRequest
// rather than fetch, for its upload progress.

import { h, replace } from "../dom.js";
import { errorText } from "../session.js";
import { localUrl } from "./files_facts.js";

function post(url, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // not JSON: reported by status below
      }
      if (request.status === 200 && body?.storageId) resolve(body.storageId);
      else reject(new Error(body?.message ?? `The upload failed (HTTP ${request.status}).`));
    };
    request.onerror = () => reject(new Error("The upload failed: the server could not be reached."));
    request.send(file);
  });
}

// The upload control: the chosen files are uploaded at once, one after the other; `open(id)`
// shows one.
export function uploader(session, componentId, open) {
  const input = h("input", { type: "file", id: "upload-input", multiple: true, hidden: true });
  const button = h("button", {
    className: "primary", id: "upload", disabled: session.readOnly, onclick: () => input.click(),
  }, "Upload files");
  const status = h("span", { id: "upload-status" });
  const link = (storageId) => h("a", {
    href: `#/files/${storageId}`, className: "uploaded-id",
    onclick: (event) => {
      event.preventDefault();
      open(storageId);
    },
  }, storageId);
  input.onchange = async () => {
    const files = [...input.files];
    input.value = "";
    if (files.length === 0) return;
    button.disabled = true;
    const done = [];
    try {
      for (const file of files) {
        const bar = h("progress", { max: 1, value: 0 });
        replace(status, `Uploading ${file.name} (${done.length + 1} of ${files.length}) `, bar);
        const url = await session.mutation("_system/frontend/fileStorageV2:generateUploadUrl",
          { componentId });
        done.push(await post(localUrl(url), file, (part) => (bar.value = part)));
      }
      replace(status, h("span", { className: "muted" }, "Uploaded "),
        done.map((id, i) => [i > 0 ? ", " : "", link(id)]));
    } catch (e) {
      replace(status, h("span", { className: "error" },
        `${done.length} of ${files.length} uploaded; then: ${errorText(e)}`));
    } finally {
      button.disabled = false;
    }
  };
  return h("span", { className: "uploader" }, input, button, status);
}
