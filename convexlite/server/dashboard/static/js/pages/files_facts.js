// What the Files page shows of a file besides its content: its size, its URL, a download link.

import { h } from "../dom.js";

export function formatBytes(size) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(size);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// The file's URL on this page's origin: `storage.getUrl` names the configured origin,
// which may not be the one the browser reached (`localhost` for `127.0.0.1`, a proxy).
export function localUrl(address) {
  const url = new URL(address);
  return `${location.origin}${url.pathname}${url.search}`;
}

export function downloadLink(file, label = "Download") {
  return h("a", { href: localUrl(file.url), download: file._id, className: "download" }, label);
}
