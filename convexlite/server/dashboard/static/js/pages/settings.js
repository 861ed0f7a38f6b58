// Settings: two tabs, General (`#/settings`: pause, URLs and keys, environment variables,
// authentication, components, storage and retention) and Snapshots
// (`#/settings/snapshots`: export and import). Each section is a module of settings/.

import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { authSection } from "./settings/auth_providers.js";
import { componentsSection } from "./settings/components.js";
import { pauseSection } from "./settings/deployment.js";
import { environmentSection } from "./settings/environment.js";
import { exportSection } from "./settings/export.js";
import { importSection } from "./settings/import.js";
import { storageSection } from "./settings/storage.js";
import { urlsSection } from "./settings/urls_keys.js";

const TABS = {
  general: ["General", [pauseSection, urlsSection, environmentSection, authSection,
    componentsSection, storageSection]],
  snapshots: ["Snapshots", [exportSection, importSection]],
};

export function mount(container, session, params) {
  stylesheet("settings");
  const tab = TABS[params[0]] ? params[0] : "general";
  const error = h("p", { className: "error", id: "settings-error" });
  const report = (e) => (e === null ? replace(error) : replace(error, errorText(e)));
  const sections = TABS[tab][1].map((section) => section(session, report));
  replace(
    container,
    h("h1", {}, "Settings"),
    h("div", { className: "tabs" }, Object.entries(TABS).map(([name, [title]]) =>
      h("a", { href: name === "general" ? "#/settings" : `#/settings/${name}`,
        id: `settings-tab-${name}`, className: name === tab ? "active" : "" }, title))),
    error,
    h("div", { className: `settings-${tab}` }, sections.map((section) => section.node)),
  );
  return () => sections.forEach((section) => section.stop());
}
