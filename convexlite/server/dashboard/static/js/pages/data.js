// Data: the tables, and one table's documents live, a page at a time, newest or oldest
// first; add a document, edit one, delete the selected ones.

import { h, replace } from "../dom.js";
import { errorText } from "../session.js";
import { display, encodeFilters, fromJson, toJson } from "../values.js";

const PAGE_SIZE = 50;
const SYSTEM_FIELDS = ["_id", "_creationTime"];

export function mount(container, session, [table]) {
  const error = h("p", { className: "error", id: "data-error" });
  const report = (e) => replace(error, errorText(e));
  const tableList = h("div", { className: "tables", id: "table-list" }, "…");
  const main = h("div", {});
  replace(container, h("h1", {}, "Data"), error, h("div", { className: "data" }, tableList, main));

  const stops = [
    session.watch("_system/frontend/getTableMapping:default", { componentId: null }, (mapping) => {
      const names = Object.values(mapping).filter((n) => !n.startsWith("_")).sort();
      replace(tableList, names.length === 0 ? h("p", { className: "muted" }, "No tables yet.") :
        names.map((name) => h("a", {
          href: `#/data/${encodeURIComponent(name)}`,
          className: name === table ? "active" : "", "data-table": name,
        }, name)));
    }, report),
  ];
  if (table === undefined) {
    replace(main, h("p", { className: "muted" }, "Pick a table."));
  } else {
    stops.push(browse(main, session, table, report));
  }
  return () => stops.forEach((stop) => stop());
}

function browse(main, session, table, report) {
  let order = "desc";
  let documents = [];
  let stopPages = () => {};
  const selected = new Set();
  const count = h("span", { className: "muted", id: "table-size" });
  const orderSelect = h("select", { id: "order" },
    h("option", { value: "desc" }, "Newest first"), h("option", { value: "asc" }, "Oldest first"));
  const deleteButton = h("button", { className: "danger", id: "delete-selected" });
  const editor = h("div", {});
  const grid = h("div", { className: "grid-wrap" });
  const more = h("button", { id: "load-more", hidden: true }, "Load more");
  const readOnly = session.readOnly;

  const refreshDeleteButton = () => {
    replace(deleteButton, `Delete selected (${selected.size})`);
    deleteButton.disabled = readOnly || selected.size === 0;
  };
  const attempt = async (work) => {
    try {
      return await work();
    } catch (e) {
      report(e);
    }
  };

  // The JSON editor for a new document (`doc` undefined) or an existing one.
  const edit = (doc) => {
    const fields = doc ? Object.fromEntries(
      Object.entries(doc).filter(([k]) => !SYSTEM_FIELDS.includes(k))) : {};
    const text = h("textarea", { id: "editor-text" });
    text.value = JSON.stringify(toJson(fields), null, 2);
    const message = h("p", { className: "error", id: "editor-error" });
    const save = async () => {
      let value;
      try {
        value = fromJson(JSON.parse(text.value));
      } catch (e) {
        return replace(message, `Not valid JSON: ${e.message}`);
      }
      try {
        const result = doc
          ? await session.mutation("_system/frontend/replaceDocument:default",
            { id: doc._id, document: value, componentId: null })
          : await session.mutation("_system/frontend/addDocument:default",
            { table, documents: [value], componentId: null });
        if (result && result.success === false) return replace(message, result.error);
        replace(editor);
      } catch (e) {
        replace(message, errorText(e));
      }
    };
    replace(editor, h("div", { className: "editor" },
      h("h3", {}, doc ? `Edit ${doc._id}` : `Add a document to ${table}`),
      text, message,
      h("div", { className: "toolbar" },
        h("button", { className: "primary", id: "editor-save", onclick: save }, "Save"),
        h("button", { id: "editor-cancel", onclick: () => replace(editor) }, "Cancel"))));
    text.focus();
  };

  const render = (status) => {
    const rows = documents.filter((doc) => doc._id !== undefined);
    const problems = documents.filter((doc) => doc._id === undefined);
    for (const id of [...selected]) if (!rows.some((doc) => doc._id === id)) selected.delete(id);
    const columns = [...SYSTEM_FIELDS];
    for (const doc of rows) for (const key of Object.keys(doc)) {
      if (!columns.includes(key)) columns.push(key);
    }
    const body = rows.map((doc) => h("tr", { "data-id": doc._id },
      h("td", {}, h("input", {
        type: "checkbox", checked: selected.has(doc._id), disabled: readOnly,
        onchange: (event) => {
          if (event.target.checked) selected.add(doc._id); else selected.delete(doc._id);
          refreshDeleteButton();
        },
      })),
      h("td", {}, h("button", { className: "edit", disabled: readOnly, onclick: () => edit(doc) }, "Edit")),
      columns.map((column) => h("td", { title: display(doc[column]) }, display(doc[column])))));
    replace(grid,
      problems.map((p) => h("p", { className: "error" }, p.error)),
      rows.length === 0 && status !== "LoadingFirstPage"
        ? h("p", { className: "muted", id: "no-documents" }, "This table has no documents.")
        : h("table", { className: "grid", id: "documents" },
          h("thead", {}, h("tr", {}, h("th", {}), h("th", {}), columns.map((c) => h("th", {}, c)))),
          h("tbody", {}, body)));
    more.hidden = status !== "CanLoadMore";
    refreshDeleteButton();
  };

  const subscribe = () => {
    stopPages();
    documents = [];
    let loadMore = () => {};
    more.onclick = () => loadMore(PAGE_SIZE);
    const filters = encodeFilters({ clauses: [], order });
    stopPages = session.client.onPaginatedUpdate_experimental(
      "_system/frontend/paginatedTableDocuments:default",
      { table, filters, componentId: null },
      { initialNumItems: PAGE_SIZE },
      (result) => {
        documents = result.results;
        loadMore = result.loadMore;
        render(result.status);
      },
      report,
    );
  };

  orderSelect.onchange = () => {
    order = orderSelect.value;
    subscribe();
  };
  deleteButton.onclick = () => attempt(async () => {
    const toDelete = [...selected].map((id) => ({ id, tableName: table }));
    const result = await session.mutation("_system/frontend/deleteDocuments:default",
      { toDelete, componentId: null });
    if (result && result.success === false) throw new Error(result.error);
    selected.clear();
    refreshDeleteButton();
  });

  replace(main,
    h("div", { className: "toolbar" },
      h("h2", { id: "table-name" }, table), count, orderSelect,
      h("button", { id: "add-document", disabled: readOnly, onclick: () => edit() }, "Add document"),
      deleteButton),
    editor, grid, more);
  const stopSize = session.watch("_system/frontend/tableSize:default",
    { tableName: table, componentId: null },
    (size) => replace(count, `${size} document${size === 1 ? "" : "s"}`), report);
  subscribe();
  return () => {
    stopSize();
    stopPages();
  };
}
