// Cron jobs: every job with its schedule as declared, function, arguments, next and last
// run; and the recent runs (five per job, as the server keeps), with status, duration,
// error and log lines. Pick a job to see only its runs.

import { h, replace } from "../dom.js";
import { formatTime, nsToMs, relativeTime } from "../times.js";
import { argsText, functionName } from "./schedules_format.js";

const REFRESH_MS = 10_000; // keeps "in 5 min" current

const plural = (n, unit) => `${n} ${unit}${n === 1n || n === 1 ? "" : "s"}`;
const clock = (hour, minute) =>
  `${String(hour).padStart(2, "0")}:${String(minute ?? 0).padStart(2, "0")} UTC`;

// The schedule as `crons.ts` (or `app.crons`) declared it.
function scheduleText(schedule) {
  switch (schedule.type) {
    case "interval": {
      const seconds = BigInt(schedule.seconds);
      if (seconds % 3600n === 0n) return `every ${plural(seconds / 3600n, "hour")}`;
      if (seconds % 60n === 0n) return `every ${plural(seconds / 60n, "minute")}`;
      return `every ${plural(seconds, "second")}`;
    }
    case "cron": return `cron "${schedule.cronExpr}" (UTC)`;
    case "hourly": return `hourly at minute ${schedule.minuteUTC ?? 0} UTC`;
    case "daily": return `daily at ${clock(schedule.hourUTC, schedule.minuteUTC)}`;
    case "weekly":
      return `every ${schedule.dayOfWeek} at ${clock(schedule.hourUTC, schedule.minuteUTC)}`;
    case "monthly":
      return `monthly on day ${schedule.day} at ${clock(schedule.hourUTC, schedule.minuteUTC)}`;
    default: return JSON.stringify(schedule, (_, v) => typeof v === "bigint" ? `${v}` : v);
  }
}

const when = (ns) => {
  const ms = nsToMs(ns);
  return [formatTime(ms), " ", h("span", { className: "muted" }, relativeTime(ms))];
};

function statusCell(status) {
  if (status.type === "success") return h("span", { className: "state success" }, "success");
  if (status.type === "canceled") {
    return h("span", { className: "state canceled" },
      `skipped (${plural(status.num_canceled, "run")} missed)`);
  }
  return h("span", { className: "state err" }, "failed");
}

export function show(main, session, componentId, report) {
  let jobs = null;
  let runs = null;
  let only = null; // the job whose runs are shown, or null for all
  const jobsGrid = h("div", { className: "grid-wrap" }, "…");
  const runsTitle = h("h2", {});
  const runsGrid = h("div", { className: "grid-wrap" }, "…");

  const pick = (name) => {
    only = only === name ? null : name;
    render();
  };
  const renderJobs = () => {
    if (jobs === null) return;
    replace(jobsGrid, jobs.length === 0
      ? h("p", { className: "muted", id: "no-crons" }, "No cron jobs.")
      : h("table", { className: "grid", id: "cron-jobs" },
        h("thead", {}, h("tr", {}, ["Name", "Schedule", "Function", "Arguments", "Next run",
          "Last run", ""].map((title) => h("th", {}, title)))),
        h("tbody", {}, jobs.map((job) => h("tr", {
          "data-name": job.name, className: job.name === only ? "picked" : "",
        },
        h("td", {}, job.name),
        h("td", { className: "schedule" }, scheduleText(job.cronSpec.cronSchedule)),
        h("td", {}, functionName(job.cronSpec.udfPath)),
        h("td", { className: "args" }, argsText(job.cronSpec.udfArgs)),
        h("td", {}, job.nextRun.state.type === "inProgress" ? "running now" : when(job.nextRun.nextTs)),
        h("td", {}, job.lastRun === null ? h("span", { className: "muted" }, "never")
          : [when(job.lastRun.ts), " ", statusCell(job.lastRun.status)]),
        h("td", {}, h("button", { className: "history", onclick: () => pick(job.name) },
          job.name === only ? "All runs" : "Runs")))))));
  };
  const renderRuns = () => {
    replace(runsTitle, only === null ? "Recent runs" : `Recent runs of ${only}`);
    if (runs === null) return;
    const shown = runs.filter((run) => only === null || run.name === only);
    replace(runsGrid, shown.length === 0
      ? h("p", { className: "muted", id: "no-cron-runs" }, "No runs yet.")
      : h("table", { className: "grid", id: "cron-runs" },
        h("thead", {}, h("tr", {}, ["Job", "Started", "Status", "Duration", "Error", "Logs"]
          .map((title) => h("th", {}, title)))),
        h("tbody", {}, shown.map((run) => h("tr", { "data-name": run.name },
          h("td", {}, run.name),
          h("td", {}, when(run.ts)),
          h("td", {}, statusCell(run.status)),
          h("td", { className: "number" }, `${(run.executionTime * 1000).toFixed(1)} ms`),
          h("td", { className: "error" }, run.status.type === "err" ? run.status.error : ""),
          h("td", { className: "logs" }, [
            ...run.logLines.logLines, run.logLines.isTruncated ? "(truncated)" : null,
          ].filter((line) => line !== null).join("\n")))))));
  };
  const render = () => {
    renderJobs();
    renderRuns();
  };

  replace(main, jobsGrid, runsTitle, runsGrid);
  const stops = [
    session.watch("_system/frontend/listCronJobs:default", { componentId }, (value) => {
      jobs = value;
      if (only !== null && !jobs.some((job) => job.name === only)) only = null;
      render();
    }, report),
    session.watch("_system/frontend/listCronJobRuns:default", { componentId }, (value) => {
      runs = value;
      renderRuns();
    }, report),
  ];
  const timer = setInterval(render, REFRESH_MS);
  return () => {
    clearInterval(timer);
    stops.forEach((stop) => stop());
  };
}
