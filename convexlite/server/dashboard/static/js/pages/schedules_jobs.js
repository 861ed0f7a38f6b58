// Scheduled functions: the runs still to come or running, soonest first, live and a page at
// a time, optionally of one function; each with its arguments; cancel one, or all of them.

import { confirmInline } from "../confirm_inline.js";
import { h, replace } from "../dom.js";
import { errorText } from "../session.js";
import { nsToMs, relativeTime, formatTime } from "../times.js";
import { argsText, functionName } from "./schedules_format.js";

const PAGE_SIZE = 50;
const REFRESH_MS = 10_000; // keeps "in 5 min" current

export function show(main, session, componentId, report) {
  const readOnly = session.readOnly;
  const args = new Map(); // argsId -> its text, or a promise of it (arguments never change)
  let jobs = [];
  let status = null;
  let stopPages = () => {};
  const functions = h("datalist", { id: "scheduled-function-names" });
  const filter = h("input", {
    id: "jobs-filter", list: functions.id, placeholder: "All functions",
  });
  const cancelAll = h("button", { className: "danger", id: "cancel-all", disabled: readOnly });
  const confirmPlace = h("span", {});
  const grid = h("div", { className: "grid-wrap" }, "…");
  const more = h("button", { id: "jobs-more", hidden: true }, "Load more");
  const attempt = async (work) => {
    try {
      await work();
    } catch (e) {
      report(e);
    }
  };

  const argsCell = (job) => {
    const cell = h("td", { className: "args" });
    const known = args.get(job.argsId);
    if (typeof known === "string") {
      replace(cell, known);
      return cell;
    }
    replace(cell, "…");
    if (known === undefined) {
      args.set(job.argsId, session.query("_system/frontend/scheduler:getArgs",
        { argsId: job.argsId, componentId })
        .then((found) => found === null ? "(gone)" : argsText(found.args))
        .catch((e) => `(${errorText(e)})`)
        .then((text) => {
          args.set(job.argsId, text);
          render();
        }));
    }
    return cell;
  };
  const render = () => {
    if (status === null) return;
    const rows = jobs.map((job) => {
      const due = nsToMs(job.nextTs);
      return h("tr", { "data-id": job._id },
        h("td", {}, functionName(job.udfPath)),
        h("td", { title: formatTime(due) }, formatTime(due), " ",
          h("span", { className: "muted" }, relativeTime(due))),
        h("td", {}, h("span", { className: `state ${job.state.type}` },
          job.state.type === "inProgress" ? "running" : "pending")),
        argsCell(job),
        h("td", {}, h("button", {
          className: "danger cancel", disabled: readOnly,
          onclick: () => confirmInline(confirmPlace,
            `Cancel the run of ${functionName(job.udfPath)} due ${relativeTime(due)}?`,
            "Cancel it", () => attempt(() => session.call("POST", "/api/cancel_job",
              { id: job._id, componentId }))),
        }, "Cancel")));
    });
    replace(grid, jobs.length === 0
      ? h("p", { className: "muted", id: "no-jobs" }, "No scheduled functions to run.")
      : h("table", { className: "grid", id: "scheduled-jobs" },
        h("thead", {}, h("tr", {}, h("th", {}, "Function"), h("th", {}, "Scheduled for"),
          h("th", {}, "State"), h("th", {}, "Arguments"), h("th", {}))),
        h("tbody", {}, rows)));
    more.hidden = status !== "CanLoadMore";
  };

  const udfPath = () => filter.value.trim() || undefined;
  const subscribe = () => {
    stopPages();
    jobs = [];
    let loadMore = () => {};
    more.onclick = () => loadMore(PAGE_SIZE);
    const path = udfPath();
    replace(cancelAll, path ? `Cancel all runs of ${path}` : "Cancel all");
    stopPages = session.client.onPaginatedUpdate_experimental(
      "_system/frontend/paginatedScheduledJobs:default",
      { udfPath: path, componentId }, { initialNumItems: PAGE_SIZE },
      (result) => {
        if (result.status === "LoadingFirstPage") return; // keeps the rows shown until then
        jobs = result.results;
        status = result.status;
        const listed = new Set(jobs.map((job) => job.argsId));
        for (const id of args.keys()) if (!listed.has(id)) args.delete(id);
        loadMore = result.loadMore;
        render();
      }, report);
  };
  filter.onchange = subscribe;
  cancelAll.onclick = () => {
    const path = udfPath();
    confirmInline(confirmPlace,
      path ? `Cancel every scheduled run of ${path}?` : "Cancel every scheduled function?",
      "Cancel them", () => attempt(() => session.call("POST", "/api/cancel_all_jobs",
        { udfPath: path, componentId })));
  };

  replace(main,
    h("div", { className: "toolbar" }, h("label", {}, "Function ", filter), functions,
      cancelAll, confirmPlace),
    grid, more);
  const stopModules = session.watch("_system/frontend/modules:list", { componentId },
    (modules) => replace(functions, modules.flatMap(([path, module]) => module.functions
      .filter((f) => f.udfType === "Mutation" || f.udfType === "Action")
      .map((f) => h("option", { value: `${functionName(path)}:${f.name}` })))), report);
  subscribe();
  const timer = setInterval(render, REFRESH_MS);
  return () => {
    clearInterval(timer);
    stopModules();
    stopPages();
  };
}
