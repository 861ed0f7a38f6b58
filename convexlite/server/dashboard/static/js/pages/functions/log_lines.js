// A run's log lines as a list: strings (`"[LOG] 'text'"`, as results and run_test_function
// carry them) or the log stream's structured lines, coloured by level.

import { h, replace } from "../../dom.js";
import { lineText } from "../../function_logs.js";

const LEVEL = /^\[(LOG|DEBUG|INFO|WARN|ERROR)\] /;

function item(line) {
  const text = typeof line === "string" ? line : `[${line.level}] ${lineText(line)}`;
  return h("li", { className: `level-${LEVEL.exec(text)?.[1] ?? "LOG"}` }, text);
}

export function showLogLines(list, lines) {
  replace(list, lines.length === 0 ? h("li", { className: "muted" }, "No log lines.")
    : lines.map(item));
}
