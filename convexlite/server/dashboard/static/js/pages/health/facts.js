// What this deployment is and whether it runs: name, version, state, URLs, npm version.

import { h, replace } from "../../dom.js";
import { deploymentUrl, errorText } from "../../session.js";

// The facts' section and the function stopping their live queries.
export function facts(session) {
  const dd = (id) => h("dd", { id }, "…");
  const shown = {
    instance: dd("health-instance"),
    version: dd("health-version"),
    state: dd("health-state"),
    site: dd("health-site-url"),
    npm: dd("health-npm-version"),
  };
  const error = h("p", { className: "error" });
  const element = h("section", {},
    h("dl", { className: "facts" },
      h("dt", {}, "Instance name"), shown.instance,
      h("dt", {}, "Server version"), shown.version,
      h("dt", {}, "State"), shown.state,
      h("dt", {}, "Deployment URL"), h("dd", { id: "health-url" }, deploymentUrl),
      h("dt", {}, "HTTP actions URL"), shown.site,
      h("dt", {}, "convex npm version of the last push"), shown.npm,
      h("dt", {}, "Access"), h("dd", {}, session.readOnly ? "read-only admin key" : "admin key")),
    error);
  const failed = (e) => replace(error, errorText(e));
  const text = async (path) => (await fetch(`${deploymentUrl}${path}`)).text();
  text("/instance_name").then((name) => replace(shown.instance, name), failed);
  text("/version").then((version) => replace(shown.version, version), failed);
  const stops = [
    session.watch("_system/frontend/deploymentState:deploymentState", {},
      (value) => replace(shown.state, value.state), failed),
    session.watch("_system/frontend/convexSiteUrl:default", {},
      (value) => replace(shown.site, value ?? "—"), failed),
    session.watch("_system/frontend/getVersion:default", {},
      (value) => replace(shown.npm, value ?? "no push yet"), failed),
  ];
  return { element, stop: () => stops.forEach((stop) => stop()) };
}
