// Data: the tables of the app or of a component (live), creating one, and the open table
// (pages/data/browse.js). The address holds the table, the component and the filters
// (pages/data/route.js).

import { componentPicker } from "../component_picker.js";
import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { browse } from "./data/browse.js";
import { dataHash, parseRoute } from "./data/route.js";

export function mount(container, session, [param]) {
  stylesheet("data");
  const { table, componentId, expression, error: routeError } = parseRoute(param);
  const error = h("p", { className: "error", id: "data-error" }, routeError ?? "");
  const report = (e) => replace(error, errorText(e));
  const tableList = h("div", { className: "tables", id: "table-list" }, "…");
  const main = h("div", {});
  const picker = componentPicker(session, componentId,
    (id) => { location.hash = dataHash({ componentId: id }); }, report);
  replace(container,
    h("div", { className: "toolbar page-head" }, h("h1", {}, "Data"), picker.element), error,
    h("div", { className: "data" },
      h("div", {}, tableList, createTable(session, componentId, report)), main));

  const view = table === undefined ? null : browse(main, session, { table, componentId }, expression, report);
  if (view === null) replace(main, h("p", { className: "muted" }, "Pick a table."));
  const stopTables = session.watch("_system/frontend/getTableMapping:default", { componentId }, (mapping) => {
    const names = Object.values(mapping).filter((n) => !n.startsWith("_")).sort();
    replace(tableList, names.length === 0 ? h("p", { className: "muted" }, "No tables yet.") :
      names.map((name) => h("a", {
        href: dataHash({ table: name, componentId }),
        className: name === table ? "active" : "", "data-table": name,
      }, name)));
    view?.setMapping(mapping);
  }, report);
  return () => {
    stopTables();
    picker.stop();
    view?.stop();
  };
}

function createTable(session, componentId, report) {
  const name = h("input", { id: "new-table", placeholder: "new_table", disabled: session.readOnly });
  const create = async (event) => {
    event.preventDefault();
    const table = name.value.trim();
    if (!table) return;
    try {
      await session.mutation("_system/frontend/createTable:default", { table, componentId });
      location.hash = dataHash({ table, componentId });
    } catch (e) {
      report(e);
    }
  };
  return h("form", { className: "create-table", onsubmit: create }, name,
    h("button", { type: "submit", id: "create-table", disabled: session.readOnly }, "Create table"));
}
