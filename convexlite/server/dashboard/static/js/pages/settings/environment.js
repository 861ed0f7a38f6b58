// Environment variables, live: edit a value or a name in place, delete, add several (a
// pasted `.env` adds a row per line); "Save" applies every change in one atomic call, a
// rename being a delete and a set, and asks first when something would be deleted.

import { h, replace } from "../../dom.js";
import { confirmAction } from "./confirm.js";
import { parseDotenv } from "./dotenv.js";

const LIST = "_system/frontend/listEnvironmentVariables:default";

export function environmentSection(session, report) {
  const readOnly = session.readOnly;
  let variables = [];
  // A variable's pending change, by its current name: {name, value} (edited) or null.
  const edits = new Map();
  const rows = h("tbody", { id: "env-rows" });
  const added = h("div", { id: "env-new" });

  // `value` set as a property: a textarea has no value attribute.
  const field = (tag, value, props) => Object.assign(h(tag, props), { value });
  const valueInput = (value, props) => field("textarea", value, { rows: 1, ...props });

  const plainRow = (variable) => [
    h("td", {}, variable.name),
    h("td", { className: "env-value-cell" }, variable.value),
    h("td", { className: "env-actions" },
      h("button", { type: "button", className: "env-edit", disabled: readOnly,
        onclick: () => change(variable.name, { name: variable.name, value: variable.value }) },
      "Edit"),
      h("button", { type: "button", className: "danger env-delete", disabled: readOnly,
        onclick: () => change(variable.name, null) }, "Delete")),
  ];
  const editedRow = (variable, edit) => [
    h("td", {}, field("input", edit.name, { className: "env-edit-name",
      oninput: (e) => (edit.name = e.target.value.trim()) })),
    h("td", {}, valueInput(edit.value, { className: "env-value env-edit-value",
      oninput: (e) => (edit.value = e.target.value) })),
    h("td", { className: "env-actions" }, undoButton(variable.name)),
  ];
  const deletedRow = (variable) => [
    h("td", { className: "deleted" }, variable.name),
    h("td", { className: "deleted env-value-cell" }, variable.value),
    h("td", { className: "env-actions" }, undoButton(variable.name)),
  ];
  const undoButton = (name) =>
    h("button", { type: "button", className: "env-undo", onclick: () => change(name, undefined) },
      "Undo");

  const render = () => replace(rows, variables.map((variable) => {
    const edit = edits.get(variable.name);
    const cells = edit === null ? deletedRow(variable)
      : edit ? editedRow(variable, edit) : plainRow(variable);
    return h("tr", { "data-name": variable.name }, cells);
  }));
  const change = (name, edit) => {
    if (edit === undefined) edits.delete(name);
    else edits.set(name, edit);
    render();
  };

  const newRow = (name = "", value = "") => {
    const first = added.childElementCount === 0;
    const nameInput = field("input", name, { className: "env-new-name", placeholder: "NAME",
      id: first ? "env-name" : undefined, disabled: readOnly });
    const row = h("div", { className: "env-new-row" }, nameInput,
      valueInput(value, { className: "env-value env-new-value", placeholder: "value",
        id: first ? "env-value" : undefined, disabled: readOnly }),
      first ? null : h("button", { type: "button", onclick: () => row.remove() }, "Remove"));
    nameInput.addEventListener("paste", (event) => {
      const pasted = parseDotenv(event.clipboardData.getData("text"));
      if (pasted.length === 0) return;
      event.preventDefault();
      const [head, ...rest] = pasted;
      nameInput.value = head.name;
      row.querySelector("textarea").value = head.value;
      for (const variable of rest) added.append(newRow(variable.name, variable.value));
    });
    return row;
  };
  const resetNewRows = () => {
    replace(added);
    added.append(newRow());
  };

  // Deletions first, so a variable renamed to a name another one leaves works. `names` are
  // the names there will be, to refuse duplicates before asking the server.
  const pendingChanges = () => {
    const deletions = [];
    const sets = [];
    const names = [];
    for (const variable of variables) {
      const edit = edits.get(variable.name);
      if (edit === undefined) names.push(variable.name);
      else if (edit === null || edit.name !== variable.name) {
        deletions.push({ name: variable.name, value: null });
      }
      if (edit && (edit.name !== variable.name || edit.value !== variable.value)) {
        sets.push({ name: edit.name, value: edit.value });
      }
      if (edit) names.push(edit.name);
    }
    for (const row of added.children) {
      const name = row.querySelector("input").value.trim();
      if (!name) continue;
      sets.push({ name, value: row.querySelector("textarea").value });
      names.push(name);
    }
    return { deletions, sets, names };
  };

  const save = async (event) => {
    event.preventDefault();
    report(null);
    const { deletions, sets, names } = pendingChanges();
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) return report(new Error(`${duplicate} is set twice: names must be unique.`));
    if (deletions.length + sets.length === 0) return;
    if (deletions.length > 0) {
      const listed = deletions.map((d) => d.name).join(", ");
      const ok = await confirmAction(
        `Delete ${deletions.length === 1 ? "this variable" : "these variables"}: ${listed}? ` +
        "Functions reading them will see them unset.", "Delete");
      if (!ok) return;
    }
    try {
      await session.call("POST", "/api/update_environment_variables",
        { changes: [...deletions, ...sets] });
      edits.clear();
      resetNewRows();
      render();
    } catch (e) {
      report(e);
    }
  };
  resetNewRows();
  const node = h("section", { id: "environment-variables" },
    h("h2", {}, "Environment variables"),
    h("form", { onsubmit: save },
      h("table", { className: "grid env-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Value"), h("th", {}))),
        rows),
      h("h3", {}, "Add"),
      h("p", { className: "muted" }, "Tip: paste a .env file into a name field to add every ",
        "variable in it."),
      added,
      h("div", { className: "toolbar" },
        h("button", { type: "button", id: "env-add-row", disabled: readOnly,
          onclick: () => added.append(newRow()) }, "Add another"),
        h("button", { type: "submit", id: "env-set", className: "primary", disabled: readOnly },
          "Save"))));

  const stop = session.watch(LIST, {}, (list) => {
    variables = list;
    // A variable deleted meanwhile (by another client) takes its pending change along.
    for (const name of edits.keys()) {
      if (!list.some((variable) => variable.name === name)) edits.delete(name);
    }
    render();
  }, report);
  return { node, stop };
}
