// A run's log lines as a list: strings (`"[LOG] 'text'"`, as query results and
// run_test_function carry them) or the log stream's structured lines.

import { h, replace } from "../../dom.js";
import { lineText } from "../../function_logs.js";

const text = (line) => (typeof line === "string" ? line : `[${line.level}] ${lineText(line)}`);

export function showLogLines(list, lines) {
  replace(list, lines.length === 0 ? h("li", { className: "muted" }, "No log lines.")
    : lines.map((line) => h("li", {}, text(line))));
}
