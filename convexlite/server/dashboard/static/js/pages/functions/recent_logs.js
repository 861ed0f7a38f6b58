// The selected function's recent log: every run of it the function log still holds and
// each new one as it happens (whoever ran it), newest first: its log lines and an outcome
// row per completed run (success or the error, and its duration).

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { followFunctionLogs, lineText } from "../../function_logs.js";

const KEPT_ROWS = 200;

// Whether a log entry is of a run of `fn` (entries name the app's functions `mod:name` or
// `mod.js:name`, a default export `mod`, an HTTP action by its route; a component's carry
// its path).
export function isRunOf(entry, fn) {
  const name = (identifier) => {
    const [module, export_ = "default"] = identifier.split(":");
    return `${module.replace(/\.js$/, "")}:${export_}`;
  };
  const same = fn.udfType === "HttpAction"
    ? entry.identifier === fn.name : name(entry.identifier) === name(fn.path);
  return same && (entry.componentPath ?? "") === fn.componentPath;
}

const time = (ms) => new Date(ms).toLocaleTimeString();

function rowsOf(entry) {
  const rows = entry.logLines.map((line) => h("tr", { className: `level-${line.level}` },
    h("td", {}, time(line.timestamp)), h("td", {}, line.level), h("td", {}, lineText(line))));
  if (entry.kind === "Completion") {
    const took = `${Math.round(entry.executionTime * 1000)} ms`;
    rows.push(h("tr", { className: entry.error ? "outcome failure" : "outcome" },
      h("td", {}, time(entry.timestamp * 1000)),
      h("td", {}, entry.error ? "failure" : "success"),
      h("td", {}, entry.error ? `${entry.error} (${took})` : `ran in ${took}`)));
  }
  return rows;
}

export function recentLogs(session, fn) {
  const body = h("tbody", {});
  const table = h("table", { className: "grid", id: "function-logs" }, body);
  const empty = h("p", { className: "muted", id: "function-logs-empty" }, "No runs logged yet.");
  const failure = h("p", { className: "error" });
  let rows = [];
  const stop = followFunctionLogs(session, (entries) => {
    const mine = entries.filter((entry) => isRunOf(entry, fn));
    if (mine.length === 0) return;
    rows = [...mine.flatMap(rowsOf).reverse(), ...rows].slice(0, KEPT_ROWS);
    replace(body, rows);
    empty.hidden = true;
    replace(failure);
  }, (e) => replace(failure, `Could not read the function log: ${errorText(e)}`), 0);
  const node = h("div", { className: "recent-logs" },
    h("h3", {}, "Recent logs of this function"), failure, empty, table);
  return { node, stop };
}
