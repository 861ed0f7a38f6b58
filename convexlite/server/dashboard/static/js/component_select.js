// The component a page looks at: a select of the mounted component instances
// (`components:list`), hidden while the deployment has none. `null` is the app itself.

import { h } from "./dom.js";

export function componentPicker(session, onChange, report) {
  const select = h("select", { id: "component-picker", hidden: true });
  select.onchange = () => onChange(select.value || null);
  const stop = session.watch("_system/frontend/components:list", {}, (components) => {
    const active = components.filter((c) => c.state === "active" && c.path);
    const chosen = select.value;
    select.replaceChildren(h("option", { value: "" }, "App"),
      active.map((c) => h("option", { value: c.id, selected: c.id === chosen }, c.path)));
    select.hidden = active.length === 0;
  }, report);
  return { node: select, stop };
}
