// The component a page looks at: a select of the mounted component instances
// (`components:list`), hidden while the deployment has none. `null` is the app itself.

import { h, replace } from "./dom.js";
import { errorText } from "./session.js";

function componentPicker(session, onChange, report) {
  const select = h("select", { id: "component-picker", hidden: true });
  select.onchange = () => onChange(select.value || null);
  const stop = session.watch("_system/frontend/components:list", {}, (components) => {
    const active = components.filter((c) => c.state === "active" && c.path);
    const chosen = select.value;
    replace(select, h("option", { value: "" }, "App"),
      active.map((c) => h("option", { value: c.id, selected: c.id === chosen }, c.path)));
    select.hidden = active.length === 0;
  }, report);
  return { node: select, stop };
}

// A page for one component at a time: its title with the select, `above` (e.g. tabs), an
// error line, and a body `render(body, componentId, report, first)` fills, returning its
// cleanup; rendered again for each component picked. Returns the page's cleanup.
export function componentPage(container, session, { title, errorId, above = [], render }) {
  const error = h("p", { className: "error", id: errorId });
  const report = (e) => replace(error, errorText(e));
  const body = h("div", {});
  let stop = () => {};
  const show = (componentId, first) => {
    stop();
    replace(error);
    stop = render(body, componentId, report, first);
  };
  const picker = componentPicker(session, (componentId) => show(componentId, false), report);
  replace(container, h("div", { className: "toolbar" }, h("h1", {}, title), picker.node),
    above, error, body);
  show(null, true);
  return () => {
    picker.stop();
    stop();
  };
}
