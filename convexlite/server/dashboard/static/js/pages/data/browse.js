// One table of the Data page: its documents live, a page at a time, filtered and sorted,
// with the edits (a document, a cell, the selected documents), clearing and deleting the
// table, and its schema and indexes.

import { confirmInline } from "../../confirm_inline.js";
import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { encodeFilters, toJson } from "../../values.js";
import { bulkEditor } from "./bulk_edit.js";
import { cellEditor } from "./cell_editor.js";
import { defaultDocument } from "./default_document.js";
import { documentEditor } from "./document_editor.js";
import { filterBar } from "./filter_bar.js";
import { grid } from "./grid.js";
import { dataHash } from "./route.js";
import { schemaPanel } from "./schema_panel.js";
import { clearTable, deleteTable } from "./table_admin.js";

const PAGE_SIZES = [25, 50, 100];

// `where`: {table, componentId}; `initial`: the FilterExpression of the address, or null.
// Returns {stop, setMapping}: the page feeds it the table mapping for Id links.
export function browse(main, session, where, initial, report) {
  const { table, componentId } = where;
  const readOnly = session.readOnly;
  let expression = { clauses: [], order: "desc", ...initial };
  let pageSize = 50;
  let documents = [];
  let status = "LoadingFirstPage";
  let mapping = {};
  let editing = null;
  let shownProblems = "[]";
  let stopPages = () => {};
  const selected = new Set();

  const count = h("span", { className: "muted", id: "table-size" });
  const orderSelect = h("select", { id: "order" },
    h("option", { value: "desc" }, "Newest first"), h("option", { value: "asc" }, "Oldest first"));
  orderSelect.value = expression.order;
  const sizeSelect = h("select", { id: "page-size", title: "Page size" },
    PAGE_SIZES.map((n) => h("option", { value: n, selected: n === pageSize }, `${n} per page`)));
  const deleteButton = h("button", { className: "danger", id: "delete-selected" });
  const bulkButton = h("button", { id: "bulk-edit", disabled: readOnly });
  const editor = h("div", {});
  const actions = h("div", { id: "table-actions" });
  const gridWrap = h("div", { className: "grid-wrap" });
  const more = h("button", { id: "load-more", hidden: true }, "Load more");
  const bar = filterBar(initial, (applied) => {
    expression = { ...applied, order: expression.order };
    subscribe();
  });
  const panel = schemaPanel(session, where, report);

  const filtered = () => expression.clauses.length > 0 || expression.index != null;
  const refreshButtons = () => {
    replace(deleteButton, `Delete selected (${selected.size})`);
    deleteButton.disabled = readOnly || selected.size === 0;
    replace(bulkButton, selected.size ? `Edit selected (${selected.size})` : "Edit all");
  };

  // A filtered page reads at most 10,000 documents: none may match among those read yet.
  const emptyText = () => {
    if (!filtered()) return "This table has no documents.";
    return status === "CanLoadMore"
      ? "No match among the documents read so far: Load more reads further."
      : "No documents match the filters.";
  };

  const render = () => {
    const rows = documents.filter((doc) => doc._id !== undefined);
    for (const id of [...selected]) if (!rows.some((doc) => doc._id === id)) selected.delete(id);
    const focused = editing?.element.contains(document.activeElement);
    replace(gridWrap, rows.length === 0 && status !== "LoadingFirstPage"
      ? h("p", { className: "muted", id: "no-documents" }, emptyText())
      : grid({
        rows, selected, readOnly, mapping, componentId, editing,
        onSelect: (id, checked) => {
          if (checked) selected.add(id); else selected.delete(id);
          refreshButtons();
        },
        onEdit: (doc) => documentEditor(session, where, doc, editor),
        onPreview: preview,
        onCellEdit: (doc, column) => {
          const close = () => {
            editing = null;
            render();
          };
          editing = { id: doc._id, column, element: cellEditor(session, where, doc, column, close) };
          render();
          editing.element.querySelector("input").focus();
        },
      }));
    if (focused) editing.element.querySelector("input").focus();
    more.hidden = status !== "CanLoadMore";
    refreshButtons();
  };

  // An Id link's title: the document it points at, read when the pointer first rests on it.
  const preview = async (link, linked, id) => {
    try {
      const [doc] = await session.query("_system/frontend/listById:default",
        { ids: [{ id, tableName: linked }], componentId });
      link.title = doc ? JSON.stringify(toJson(doc), null, 2) : `No document ${id} in ${linked}.`;
    } catch (e) {
      link.title = errorText(e);
    }
  };

  // The server answers a bad filter with `{filter, error}` rows instead of documents.
  const showProblems = () => {
    const problems = documents.filter((doc) => doc._id === undefined);
    const shown = JSON.stringify(problems);
    if (shown !== shownProblems) bar.showErrors(problems);
    shownProblems = shown;
  };

  const subscribe = () => {
    stopPages();
    documents = [];
    status = "LoadingFirstPage";
    let loadMore = () => {};
    more.onclick = () => loadMore(pageSize);
    const filters = encodeFilters(expression);
    const plain = !filtered() && expression.order === "desc";
    history.replaceState(null, "", dataHash({ table, componentId, filters: plain ? null : filters }));
    stopPages = session.client.onPaginatedUpdate_experimental(
      "_system/frontend/paginatedTableDocuments:default",
      { table, filters, componentId },
      { initialNumItems: pageSize },
      (result) => {
        documents = result.results;
        status = result.status;
        loadMore = result.loadMore;
        showProblems();
        render();
      },
      report,
    );
  };

  orderSelect.onchange = () => {
    expression = { ...expression, order: orderSelect.value };
    subscribe();
  };
  sizeSelect.onchange = () => {
    pageSize = Number(sizeSelect.value);
    subscribe();
  };
  deleteButton.onclick = () => confirmInline(actions, `Delete ${selected.size} document${
    selected.size === 1 ? "" : "s"} of ${table}?`, "Delete", async () => {
    try {
      const toDelete = [...selected].map((id) => ({ id, tableName: table }));
      const result = await session.mutation("_system/frontend/deleteDocuments:default",
        { toDelete, componentId });
      if (result && result.success === false) throw new Error(result.error);
      selected.clear();
      refreshButtons();
    } catch (e) {
      report(e);
    }
  });
  bulkButton.onclick = () => bulkEditor(session, where, selected.size ? [...selected] : null, editor);

  replace(main,
    h("div", { className: "toolbar" },
      h("h2", { id: "table-name" }, table), count, orderSelect, sizeSelect,
      h("button", {
        id: "add-document", disabled: readOnly,
        onclick: () => documentEditor(session, where, undefined, editor,
          defaultDocument(panel.declared()?.documentType)),
      }, "Add document"),
      bulkButton, deleteButton,
      h("span", { className: "spacer" }),
      h("button", {
        className: "danger", id: "clear-table", disabled: readOnly,
        onclick: () => clearTable(session, where, actions),
      }, "Clear table"),
      h("button", {
        className: "danger", id: "delete-table", disabled: readOnly,
        onclick: () => deleteTable(session, where, actions),
      }, "Delete table")),
    actions, bar.element, panel.element, editor, gridWrap, more);
  const stops = [
    session.watch("_system/frontend/tableSize:default", { tableName: table, componentId },
      (size) => replace(count, `${size} document${size === 1 ? "" : "s"}`), report),
    session.watch("_system/frontend/indexes:default", { tableName: table, tableNamespace: componentId },
      (indexes) => {
        bar.setIndexes(indexes ?? []);
        panel.setIndexes(indexes ?? []);
      }, report),
    panel.stop,
  ];
  subscribe();
  return {
    stop: () => {
      stops.forEach((stop) => stop());
      stopPages();
    },
    setMapping(next) {
      mapping = next;
      render();
    },
  };
}
