// The component instances of the deployment (the app itself aside): path, state and
// how many functions each has, live.

import { h, replace } from "../../dom.js";

export function componentsSection(session, report) {
  const body = h("div", { id: "components" }, "…");
  let components = [];
  let functionCounts = new Map();
  const render = () => {
    const mounted = components.filter((component) => component.path !== "");
    if (mounted.length === 0) return replace(body, h("p", { className: "muted" }, "No components"));
    replace(body, h("table", { className: "grid" },
      h("thead", {}, h("tr", {}, ["Path", "Name", "State", "Functions"]
        .map((title) => h("th", {}, title)))),
      h("tbody", {}, mounted.map((component) =>
        h("tr", { "data-path": component.path },
          h("td", {}, component.path),
          h("td", {}, component.name ?? ""),
          h("td", {}, component.state),
          h("td", {}, String(functionCounts.get(component.id) ?? 0)))))));
  };
  const node = h("section", {}, h("h2", {}, "Components"), body);
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
