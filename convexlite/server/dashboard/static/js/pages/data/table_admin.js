// Clearing a table (clearTablePage, a page of up to 4000 documents at a time, with its
// progress, stoppable between pages) and deleting it (POST /api/delete_tables, once the
// user has typed its name).

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { confirmInline } from "../../confirm_inline.js";
import { dataHash } from "./route.js";

const documents = (n) => `${n} document${n === 1 ? "" : "s"}`;

export function clearTable(session, { table, componentId }, container) {
  confirmInline(container, `Delete every document of ${table}?`, "Clear table", async () => {
    let stopped = false;
    let deleted = 0;
    const progress = h("span", { id: "clear-progress" }, "Clearing…");
    const stop = h("button", { id: "clear-stop", onclick: () => { stopped = true; } }, "Stop");
    replace(container, h("div", { className: "confirm" }, progress, stop));
    try {
      let cursor = null;
      for (;;) {
        const page = await session.mutation("_system/frontend/clearTablePage:default",
          { tableName: table, cursor, componentId });
        deleted += page.deleted;
        cursor = page.continueCursor;
        replace(progress, `Deleted ${documents(deleted)}…`);
        if (!page.hasMore || stopped) break;
      }
      replace(progress, `${stopped ? "Stopped" : "Cleared"}: deleted ${documents(deleted)}.`);
    } catch (e) {
      replace(progress, h("span", { className: "error" }, `Clearing stopped after ${deleted}: ${errorText(e)}`));
    }
    stop.remove();
  });
}

export function deleteTable(session, { table, componentId }, container) {
  const name = h("input", { id: "delete-table-name", placeholder: table, autocomplete: "off" });
  const message = h("span", { className: "error", id: "delete-table-error" });
  const confirm = h("button",
    { className: "danger", id: "delete-table-confirm", disabled: true }, "Delete table");
  name.oninput = () => { confirm.disabled = name.value !== table; };
  confirm.onclick = async () => {
    confirm.disabled = true;
    try {
      await session.call("POST", "/api/delete_tables", { tableNames: [table], componentId });
      location.hash = dataHash({ componentId });
    } catch (e) {
      replace(message, errorText(e));
      confirm.disabled = false;
    }
  };
  replace(container, h("div", { className: "confirm" },
    h("span", {}, "Type ", h("code", {}, table), " to delete the table and all its documents:"),
    name, confirm, h("button", { id: "delete-table-cancel", onclick: () => replace(container) }, "Cancel"),
    message));
  name.focus();
}
