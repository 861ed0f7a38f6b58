// The component switcher: the deployment's component instances (`components:list`),
// shown only when there are some besides the app. `onChange(componentId)`, null the app.

import { h, replace } from "./dom.js";

export function componentPicker(session, selected, onChange, onError) {
  const select = h("select", { id: "component" });
  select.onchange = () => onChange(select.value || null);
  const element = h("label", { className: "component-picker", hidden: true }, "Component ", select);
  const stop = session.watch("_system/frontend/components:list", {}, (instances) => {
    const others = instances.filter((c) => c.path !== "");
    element.hidden = others.length === 0;
    replace(select, h("option", { value: "" }, "app"), others.map((c) => h("option", {
      value: c.id, selected: c.id === selected,
    }, c.state === "active" ? c.path : `${c.path} (${c.state})`)));
  }, onError);
  return { element, stop };
}
