// The Logs page's filters, all applied in the browser to the rows received: log levels,
// execution status, function (picked among those seen, or typed: rows whose function name
// contains it), and free text (messages, errors, function names, or a request id).

import { h, replace } from "../../dom.js";

export const LEVELS = ["DEBUG", "LOG", "INFO", "WARN", "ERROR"];
export const STATUSES = ["success", "failure"];
const TYPING_MS = 150;

// The filter controls; `onChange()` runs after every change.
export function filterBar(onChange) {
  const levels = new Set(LEVELS);
  const statuses = new Set(STATUSES);
  let fn = "";
  let text = "";
  let timer;
  const typed = (apply) => (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      apply(event.target.value.trim());
      onChange();
    }, TYPING_MS);
  };
  const checkbox = (set, value, id) => h("label", { className: "check" },
    h("input", {
      type: "checkbox", id, checked: true,
      onchange: (event) => {
        if (event.target.checked) set.add(value); else set.delete(value);
        onChange();
      },
    }), value);
  const functionList = h("datalist", { id: "log-functions" });
  let listed = 0;

  const element = h("div", { className: "toolbar log-filters" },
    h("span", { className: "group", id: "log-levels" },
      LEVELS.map((level) => checkbox(levels, level, `level-${level}`))),
    h("span", { className: "group", id: "log-statuses" },
      STATUSES.map((status) => checkbox(statuses, status, `status-${status}`))),
    h("input", {
      id: "log-function", list: "log-functions", placeholder: "Function",
      oninput: typed((value) => (fn = value)),
    }),
    functionList,
    h("input", {
      id: "log-search", type: "search", placeholder: "Search messages, errors, request ids",
      oninput: typed((value) => (text = value)),
    }));

  return {
    element,
    // Offers the functions seen so far in the function input's list.
    offer(functions) {
      if (functions.size === listed) return;
      listed = functions.size;
      replace(functionList, [...functions].sort().map((name) => h("option", { value: name })));
    },
    // Whether a row shows; `status` is its execution's, undefined while it runs.
    matches(row, status) {
      if (text && !matchesText(row, text)) return false;
      if (row.kind === "event") return fn === "";
      if (fn && !row.call.includes(fn)) return false;
      if (row.kind === "line" && !levels.has(row.level)) return false;
      return statuses.size === STATUSES.length || statuses.has(status);
    },
  };
}

function matchesText(row, text) {
  if (row.entry?.requestId === text) return true;
  const lower = text.toLowerCase();
  return row.text.toLowerCase().includes(lower) || (row.call ?? "").toLowerCase().includes(lower);
}
