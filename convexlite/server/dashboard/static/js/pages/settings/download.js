// Downloads a file only an admin may read: fetched with the key in its header (never in
// a URL), handed to the browser as a Blob URL.

import { h } from "../../dom.js";
import { fetchWithKey } from "../../session.js";

export async function downloadWithKey(session, path, fallbackName) {
  const response = await fetchWithKey(session, path);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename=([^;]+)/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}
