// The request detail: everything the log holds about one request (its `requestId`): each
// execution with its function, status, error, times, caller, environment, usage
// statistics and log lines.

import { h } from "../../dom.js";
import { dateTime, duration, timeOfDay } from "../../times.js";
import { functionName, kindName, outcome, parseLine } from "./rows.js";

const FACTS = [
  ["Execution id", (e) => e.executionId],
  ["Parent execution", (e) => e.parentExecutionId ?? "—"],
  ["Caller", (e) => e.caller],
  ["Environment", (e) => e.environment],
  ["Identity", (e) => e.identityType],
  ["Started", (e) => e.executionTimestamp && precise(e.executionTimestamp * 1000)],
  ["Finished", (e) => precise(e.timestamp * 1000)],
  ["Duration", (e) => duration(e.executionTime * 1000)],
  ["User code time", (e) => e.userExecutionTime == null ? "—" : duration(e.userExecutionTime * 1000)],
  ["Cached result", (e) => (e.cachedResult ? "yes" : "no")],
  ["Return bytes", (e) => e.returnBytes ?? "—"],
  ["HTTP status", (e) => e.success?.status],
  ["Will retry", (e) => (e.willRetry ? "yes" : undefined)],
  ["Conflict", (e) => e.occInfo && JSON.stringify(e.occInfo)],
];

const precise = (ms) => `${dateTime(ms)}${timeOfDay(ms).slice(8)}`;

// The panel's content for `entries`, the request's entries in the order they came.
export function requestDetail(requestId, entries) {
  const executions = new Map();
  for (const entry of entries) {
    if (!executions.has(entry.executionId)) executions.set(entry.executionId, []);
    executions.get(entry.executionId).push(entry);
  }
  return [
    h("h2", {}, "Request ", h("code", { id: "detail-request-id" }, requestId)),
    entries.length === 0
      ? h("p", { className: "muted" }, "This request's entries are no longer held.")
      : [...executions.values()].map(execution),
  ];
}

function execution(entries) {
  const first = entries[0];
  const done = entries.find((entry) => entry.kind === "Completion");
  const lines = entries.flatMap((entry) => entry.logLines.map((line) => parseLine(line, entry)));
  const result = done ? outcome(done) : null;
  return h("section", { className: "execution", "data-execution": first.executionId },
    h("h3", {}, h("span", { className: `kind kind-${first.udfType}` }, kindName(first.udfType)), " ",
      h("code", {}, functionName(first.identifier, first.componentPath)), " ",
      result
        ? h("span", { className: `status ${result.status}` }, result.code ?? result.status)
        : h("span", { className: "status running" }, "running")),
    done?.error ? h("pre", { className: "error detail-error" }, done.error) : null,
    h("dl", { className: "facts" },
      (done ? FACTS : FACTS.slice(0, 1)).map(([label, value]) => {
        const text = value(done ?? first);
        return text === undefined || text === null ? null : [h("dt", {}, label), h("dd", {}, String(text))];
      })),
    done ? usage(done.usageStats ?? {}) : null,
    h("h4", {}, `Log lines (${lines.length})`),
    h("div", { className: "detail-lines" }, lines.map((line) =>
      h("div", { className: `detail-line level-${line.level}` },
        h("time", {}, timeOfDay(line.time)),
        h("span", { className: "level" }, line.level),
        h("span", { className: "message" }, line.text,
          line.truncated ? h("span", { className: "muted" }, " (truncated)") : null)))));
}

function usage(stats) {
  return [
    h("h4", {}, "Usage"),
    h("dl", { className: "facts usage" }, Object.entries(stats).map(([name, value]) =>
      [h("dt", {}, name), h("dd", { "data-stat": name }, String(value))])),
  ];
}
