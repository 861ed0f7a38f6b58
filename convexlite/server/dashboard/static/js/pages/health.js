// Health: what this deployment is and whether it runs.

import { h, replace } from "../dom.js";
import { deploymentUrl, errorText } from "../session.js";

export function mount(container, session) {
  const facts = {
    instance: h("dd", { id: "health-instance" }, "…"),
    version: h("dd", { id: "health-version" }, "…"),
    state: h("dd", { id: "health-state" }, "…"),
    site: h("dd", { id: "health-site-url" }, "…"),
    npm: h("dd", { id: "health-npm-version" }, "…"),
  };
  const error = h("p", { className: "error" });
  replace(
    container,
    h("h1", {}, "Health"),
    h("section", {},
      h("dl", { className: "facts" },
        h("dt", {}, "Instance name"), facts.instance,
        h("dt", {}, "Server version"), facts.version,
        h("dt", {}, "State"), facts.state,
        h("dt", {}, "Deployment URL"), h("dd", { id: "health-url" }, deploymentUrl),
        h("dt", {}, "HTTP actions URL"), facts.site,
        h("dt", {}, "convex npm version of the last push"), facts.npm,
        h("dt", {}, "Access"), h("dd", {}, session.readOnly ? "read-only admin key" : "admin key")),
      error),
  );
  const failed = (e) => replace(error, errorText(e));
  const text = async (path) => (await fetch(`${deploymentUrl}${path}`)).text();
  text("/instance_name").then((name) => replace(facts.instance, name), failed);
  text("/version").then((version) => replace(facts.version, version), failed);
  const stops = [
    session.watch("_system/frontend/deploymentState:deploymentState", {},
      (value) => replace(facts.state, value.state), failed),
    session.watch("_system/frontend/convexSiteUrl:default", {},
      (value) => replace(facts.site, value ?? "—"), failed),
    session.watch("_system/frontend/getVersion:default", {},
      (value) => replace(facts.npm, value ?? "no push yet"), failed),
  ];
  return () => stops.forEach((stop) => stop());
}
