// The component instances of the deployment (the app itself aside): path, state and
// how many functions each has, live; an unmounted one can be deleted with its data.

import { confirmInline } from "../../confirm_inline.js";
import { h, replace } from "../../dom.js";
import { fetchWithKey } from "../../session.js";

export function componentsSection(session, report) {
  const body = h("div", { id: "components" }, "…");
  const confirmation = h("div", { id: "component-confirm" });
  let components = [];
  let functionCounts = new Map();
  const remove = (component) => confirmInline(confirmation,
    `Delete the unmounted component ${component.path} with all its tables and files?`,
    "Delete component", async () => {
      try {
        await fetchWithKey(session, "/api/delete_component", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ componentId: component.id }),
        });
        report(null);
      } catch (error) {
        report(error);
      }
    });
  const actions = (component) => (component.state !== "unmounted" ? "" :
    h("button", { type: "button", className: "danger component-delete",
      disabled: session.readOnly, onclick: () => remove(component) }, "Delete"));
  const render = () => {
    const mounted = components.filter((component) => component.path !== "");
    if (mounted.length === 0) return replace(body, h("p", { className: "muted" }, "No components"));
    replace(body, h("table", { className: "grid" },
      h("thead", {}, h("tr", {}, ["Path", "Name", "State", "Functions", ""]
        .map((title) => h("th", {}, title)))),
      h("tbody", {}, mounted.map((component) =>
        h("tr", { "data-path": component.path },
          h("td", {}, component.path),
          h("td", {}, component.name ?? ""),
          h("td", {}, component.state),
          h("td", {}, String(functionCounts.get(component.id) ?? 0)),
          h("td", {}, actions(component)))))));
  };
  const node = h("section", {}, h("h2", {}, "Components"), confirmation, body);
  const stops = [
    session.watch("_system/frontend/components:list", {}, (list) => {
      components = list;
      render();
    }, report),
    session.watch("_system/frontend/modules:listForAllComponents", {}, (modules) => {
      functionCounts = new Map(modules.map(([id, list]) =>
        [id, list.reduce((sum, [, module]) => sum + module.functions.length, 0)]));
      render();
    }, report),
  ];
  return { node, stop: () => stops.forEach((stop) => stop()) };
}
