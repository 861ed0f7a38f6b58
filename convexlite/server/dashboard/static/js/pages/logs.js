// Logs: the function log live, newest first: every log line and every execution's outcome
// (status, duration, error), with the deployment's audit events interleaved. Filters by
// level, status, function and text; pause (new entries wait) and resume; clear. Clicking a
// row shows its request in full. The page holds the last 10,000 rows and draws those in view.

import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { followFunctionLogs } from "../function_logs.js";
import { author, watchAuditEvents } from "../audit_events.js";
import { detail, summary } from "../audit_event_view.js";
import { dateTime, duration, timeOfDay } from "../times.js";
import { filterBar } from "./logs/filters.js";
import { LogStore, MAX_ROWS } from "./logs/log_store.js";
import { kindLetter, kindName } from "./logs/rows.js";
import { requestDetail } from "./logs/request_detail.js";
import { virtualList } from "./logs/virtual_list.js";

const ROW_HEIGHT = 22; // px: every row is one line
const EVENT_PAGE = 50;
const MAX_EVENTS = 1000;

export function mount(container, session) {
  stylesheet("logs");
  const store = new LogStore();
  const error = h("p", { className: "error", id: "logs-error" });
  const list = virtualList({
    id: "log-rows", className: "log-rows", rowHeight: ROW_HEIGHT,
    nodeFor: (row) => {
      if (!row.node) {
        row.node = rowElement(row, show);
        row.node.classList.toggle("selected", selected(row));
      }
      return row.node;
    },
  });
  const empty = h("p", { className: "muted", id: "logs-empty" }, "Waiting for function logs…");
  const note = h("p", { className: "muted", id: "logs-note", hidden: true });
  const state = h("span", { className: "muted", id: "logs-state" }, "Live");
  const count = h("span", { className: "muted", id: "logs-count" });
  const pauseButton = h("button", { id: "logs-pause" }, "Pause");
  const panel = h("aside", { className: "log-detail", id: "log-detail", hidden: true });
  const filters = filterBar(() => refilter());
  let events = []; // audit-log rows, newest first
  let shown = []; // the rows passing the filters, log rows and events merged newest first
  let pending = []; // entries received while paused
  let paused = false;
  let clearedAt = 0;
  let shownRequest = null;
  const opened = Date.now();
  const eventRows = new Map(); // event id → its row, kept across updates
  let widened = false; // whether the events go back to the oldest log row
  let stopEvents = () => {};

  const visible = (row) => row.time > clearedAt && filters.matches(row, store.statusOf(row));

  // `added`: how many of the rows are new ones at the top, above those a reader may be on.
  function refilter(added = 0) {
    shown = [];
    let i = store.rows.length - 1;
    let j = 0;
    while (i >= 0 || j < events.length) {
      const takeEvent = j < events.length && (i < 0 || events[j].time >= store.rows[i].time);
      const row = takeEvent ? events[j++] : store.rows[i--];
      if (visible(row)) shown.push(row);
    }
    list.show(shown, added);
    refreshNotes();
  }

  function refreshNotes() {
    empty.hidden = shown.length > 0;
    const held = store.rows.length + events.length;
    replace(count, shown.length === held ? `${held} rows` : `${shown.length} of ${held} rows`);
    const dropped = store.dropped > 0
      ? `${store.dropped} older rows were dropped: this page keeps the last ${MAX_ROWS}. `
      : "";
    const cleared = clearedAt > 0 ? `Cleared at ${timeOfDay(clearedAt)}.` : "";
    note.hidden = !dropped && !cleared;
    replace(note, dropped, cleared);
    replace(state, paused ? `Paused: ${pending.length} new entries waiting` : "Live");
  }

  function receive(entries) {
    replace(error);
    if (paused) {
      pending.push(...entries);
      if (pending.length > MAX_ROWS) {
        store.dropped += pending.length - MAX_ROWS;
        pending = pending.slice(-MAX_ROWS);
      }
      return refreshNotes();
    }
    const added = store.add(entries);
    filters.offer(store.functions);
    if (!widened && added.length > 0) {
      widened = true;
      const oldest = Math.min(...added.map((row) => row.time));
      if (oldest < opened) watchEvents(oldest);
    }
    refilter(added.filter(visible).length);
    if (shownRequest !== null && entries.some((entry) => entry.requestId === shownRequest)) {
      show({ requestId: shownRequest });
    }
  }

  // The panel: a request's executions, or an audit event.
  function show({ requestId, event }) {
    mark(requestId ?? null);
    const close = h("button", { id: "detail-close", onclick: hide }, "Close");
    replace(panel, close, event
      ? [h("h2", {}, `${author(event)} ${summary(event)}`),
        h("p", { className: "muted" }, dateTime(event._creationTime)), detail(event)]
      : requestDetail(requestId, store.request(requestId)));
    panel.hidden = false;
    page.classList.add("with-detail");
  }
  function hide() {
    mark(null);
    panel.hidden = true;
    page.classList.remove("with-detail");
    replace(panel);
  }

  // Highlights the rows of the request in the panel.
  function mark(requestId) {
    shownRequest = requestId;
    for (const row of store.rows) row.node?.classList.toggle("selected", selected(row));
  }
  function selected(row) {
    return shownRequest !== null && row.entry?.requestId === shownRequest;
  }

  // The audit events since the page opened, or since the oldest log row once it is known.
  function watchEvents(minDate) {
    stopEvents();
    stopEvents = watchAuditEvents(session, { minDate }, EVENT_PAGE, (found, { status, loadMore }) => {
      events = found.map((event) => {
        if (!eventRows.has(event._id)) {
          eventRows.set(event._id, { kind: "event", event, time: event._creationTime,
            text: `${author(event)} ${summary(event)}` });
        }
        return eventRows.get(event._id);
      });
      if (status === "CanLoadMore" && found.length < MAX_EVENTS) loadMore(EVENT_PAGE);
      refilter();
    }, (e) => replace(error, errorText(e)));
  }

  pauseButton.onclick = () => {
    paused = !paused;
    replace(pauseButton, paused ? "Resume" : "Pause");
    if (!paused) {
      const waiting = pending;
      pending = [];
      if (waiting.length > 0) receive(waiting);
    }
    refreshNotes();
  };
  const clear = () => {
    store.clear();
    pending = [];
    clearedAt = Date.now();
    hide();
    refilter();
  };

  const page = h("div", { className: "logs-page" },
    h("div", { className: "toolbar" },
      h("h1", {}, "Logs"), state, count, pauseButton,
      h("button", { id: "logs-clear", onclick: clear }, "Clear")),
    filters.element, error, note, empty, list.element, panel);
  replace(container, page);
  const stopLogs = followFunctionLogs(session, receive,
    (e) => replace(error, e.status === 401 || e.status === 403
      ? `The log stream was refused: ${errorText(e)}`
      : `The log stream failed (retrying): ${errorText(e)}`), 0);
  watchEvents(opened);
  const escape = (event) => event.key === "Escape" && hide();
  document.addEventListener("keydown", escape);
  return () => {
    stopLogs();
    stopEvents();
    document.removeEventListener("keydown", escape);
  };
}

function rowElement(row, show) {
  const time = h("time", {}, timeOfDay(row.time));
  if (row.kind === "event") {
    return h("div", { className: "log-row event", onclick: () => show(row) },
      time, h("span", { className: "kind", title: "deployment event" }, "⚑"),
      h("span", { className: "call muted" }, author(row.event)),
      h("span", { className: "tag" }, "event"), h("span", { className: "message" }, summary(row.event)));
  }
  const { entry } = row;
  const tag = row.kind === "line"
    ? h("span", { className: `tag level level-${row.level}` }, row.level)
    : h("span", { className: `tag status ${row.status}` }, row.code ?? row.status, " ",
      h("span", { className: "muted" }, duration(row.ms)));
  return h("div", {
    className: `log-row ${row.kind}`, onclick: () => show(entry),
    "data-function": row.call, "data-request": entry.requestId,
  },
  time,
  h("span", { className: `kind kind-${entry.udfType}`, title: kindName(entry.udfType) }, kindLetter(entry.udfType)),
  h("span", { className: "call", title: row.call }, row.call),
  tag,
  h("span", { className: "message" }, row.text));
}
