// The component a page looks at: a select of the deployment's component instances
// (`components:list`), hidden while there are none besides the app; an unmounted one is
// marked so (its data stays). `null` is the app itself.

import { h, replace } from "./dom.js";
import { errorText } from "./session.js";

// `{element, stop}`; `onChange(componentId)` when the user picks another.
export function componentPicker(session, selected, onChange, onError) {
  let chosen = selected ?? "";
  const select = h("select", { id: "component-picker" });
  select.onchange = () => {
    chosen = select.value;
    onChange(chosen || null);
  };
  const element = h("label", { className: "component-picker", hidden: true }, "Component ", select);
  const stop = session.watch("_system/frontend/components:list", {}, (instances) => {
    const others = instances.filter((c) => c.path !== "");
    element.hidden = others.length === 0;
    replace(select, h("option", { value: "" }, "App"), others.map((c) => h("option", {
      value: c.id, selected: c.id === chosen,
    }, c.state === "active" ? c.path : `${c.path} (${c.state})`)));
  }, onError);
  return { element, stop };
}

// A page for one component at a time: its title with the picker, `above` (e.g. tabs), an
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
  const picker = componentPicker(session, null, (componentId) => show(componentId, false), report);
  replace(container, h("div", { className: "toolbar page-head" }, h("h1", {}, title), picker.element),
    above, error, body);
  show(null, true);
  return () => {
    picker.stop();
    stop();
  };
}
