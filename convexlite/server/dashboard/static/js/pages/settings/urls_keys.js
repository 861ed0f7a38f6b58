// The deployment's URLs, and admin keys minted on demand (the cloud dashboard's "URL and
// deploy key"): a new key is shown once, to copy, and is not kept anywhere in the page.

import { h, replace } from "../../dom.js";
import { deploymentUrl } from "../../session.js";
import { copyButton } from "./copy.js";

export function urlsSection(session, report) {
  const siteUrl = h("code", { id: "settings-site-url" }, "…");
  const minted = h("div", { id: "minted" });
  const readOnlyChoice = h("input", { type: "checkbox", id: "mint-read-only" });
  const mint = async () => {
    report(null);
    try {
      const { adminKey } = await session.call("POST", "/api/dashboard/admin_key",
        { readOnly: readOnlyChoice.checked });
      const shown = Object.assign(h("input", { id: "minted-key", readOnly: true,
        className: "key", onfocus: (e) => e.target.select() }), { value: adminKey });
      replace(minted,
        h("p", {}, readOnlyChoice.checked ? "A new read-only admin key" : "A new admin key",
          " (shown once: copy it now; anyone holding it can operate this deployment):"),
        h("div", { className: "toolbar" }, shown, copyButton(adminKey, { id: "copy-minted-key" }),
          h("button", { type: "button", onclick: () => replace(minted) }, "Hide")));
    } catch (e) {
      report(e);
    }
  };
  const node = h("section", { id: "urls-and-keys" },
    h("h2", {}, "URLs and admin keys"),
    h("dl", { className: "facts" },
      h("dt", {}, "Deployment URL"),
      h("dd", {}, h("code", { id: "settings-url" }, deploymentUrl), " ",
        copyButton(deploymentUrl, { id: "copy-url" })),
      h("dt", {}, "HTTP actions URL"),
      h("dd", {}, siteUrl, " ", copyButton(() => siteUrl.textContent, { id: "copy-site-url" }))),
    h("div", { className: "toolbar" },
      h("button", { type: "button", id: "mint-key", disabled: session.readOnly, onclick: mint },
        "Mint a new admin key"),
      h("label", {}, readOnlyChoice, " read-only")),
    minted);
  const stop = session.watch("_system/frontend/convexSiteUrl:default", {},
    (url) => replace(siteUrl, url ?? "—"), report);
  return { node, stop };
}
