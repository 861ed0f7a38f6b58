// History: the deployment's audit log, live and newest first, a page at a time, within a
// date range: who changed what (pushes, environment variables, pause and resume, the
// dashboard's data edits, imports, exports, ...), each event with its detail to unfold.

import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { author, watchAuditEvents } from "../audit_events.js";
import { detail, summary } from "../audit_event_view.js";
import { dateTime } from "../times.js";

const PAGE_SIZE = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

export function mount(container, session) {
  stylesheet("history");
  const error = h("p", { className: "error", id: "history-error" });
  const report = (e) => replace(error, errorText(e));
  const from = h("input", { type: "date", id: "history-from" });
  const to = h("input", { type: "date", id: "history-to" });
  const total = h("span", { className: "muted", id: "history-count" });
  const list = h("div", { className: "history-list", id: "history-events" }, "…");
  const more = h("button", { id: "history-more", hidden: true }, "Load more");
  const items = new Map(); // event id → its element, kept so an unfolded one stays open
  let stop = () => {};

  const item = (event) => {
    if (!items.has(event._id)) {
      items.set(event._id, h("details", { className: "history-event", "data-action": event.action },
        h("summary", {},
          h("time", {}, dateTime(event._creationTime)),
          h("span", { className: "author" }, author(event)),
          h("span", { className: "what" }, summary(event))),
        detail(event)));
    }
    return items.get(event._id);
  };

  const subscribe = () => {
    stop();
    items.clear();
    replace(error);
    const filters = { minDate: from.value ? dayStart(from.value) : 0 };
    if (to.value) filters.maxDate = dayStart(to.value) + DAY_MS - 1;
    stop = watchAuditEvents(session, filters, PAGE_SIZE, (events, { status, loadMore }) => {
      replace(list, events.length === 0 && status !== "LoadingFirstPage"
        ? h("p", { className: "muted", id: "history-empty" },
          "No deployment events in this date range.")
        : events.map(item));
      replace(total, `${events.length} event${events.length === 1 ? "" : "s"}` +
        (status === "CanLoadMore" ? " (more to load)" : ""));
      more.hidden = status !== "CanLoadMore";
      more.onclick = () => loadMore(PAGE_SIZE);
    }, report);
  };
  from.onchange = to.onchange = subscribe;

  replace(container,
    h("h1", {}, "History"),
    error,
    h("div", { className: "toolbar" },
      h("label", {}, "From ", from), h("label", {}, "to ", to), total),
    list, more);
  subscribe();
  return () => stop();
}

// Midnight at the start of a `<input type=date>` day, in the browser's time zone.
function dayStart(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day).getTime();
}
