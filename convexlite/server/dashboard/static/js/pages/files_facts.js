// What the Files page shows of a file besides its content: its size, its URL, a download link.

import { h } from "../dom.js";

export { formatBytes } from "../numbers.js";

// The file's URL on this page's origin: `storage.getUrl` names the configured origin,
// which may not be the one the browser reached (`localhost` for `127.0.0.1`, a proxy).
export function localUrl(address) {
  const url = new URL(address);
  return `${location.origin}${url.pathname}${url.search}`;
}

export function downloadLink(file, label = "Download") {
  return h("a", { href: localUrl(file.url), download: file._id, className: "download" }, label);
}
