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

// The upload control: a file input whose chosen file is uploaded at once; `open(id)` shows it.
export function uploader(session, componentId, open) {
  const input = h("input", { type: "file", id: "upload-input", hidden: true });
  const button = h("button", {
    className: "primary", id: "upload", disabled: session.readOnly, onclick: () => input.click(),
  }, "Upload file");
  const status = h("span", { id: "upload-status" });
  input.onchange = async () => {
    const file = input.files[0];
    if (!file) return;
    button.disabled = true;
    const bar = h("progress", { max: 1, value: 0 });
    replace(status, `Uploading ${file.name} `, bar);
    try {
      const url = await session.mutation("_system/frontend/fileStorageV2:generateUploadUrl",
        { componentId });
      const storageId = await post(localUrl(url), file, (part) => (bar.value = part));
      replace(status, h("span", { className: "muted" }, `Uploaded ${file.name} as `),
        h("a", {
          href: `#/files/${storageId}`, id: "uploaded-id",
          onclick: (event) => { event.preventDefault(); open(storageId); },
        }, storageId));
    } catch (e) {
      replace(status, h("span", { className: "error" }, errorText(e)));
    } finally {
      button.disabled = false;
      input.value = "";
    }
  };
  return h("span", { className: "uploader" }, input, button, status);
}
