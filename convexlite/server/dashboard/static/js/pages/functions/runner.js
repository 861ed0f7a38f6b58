// The function runner for one function: its arguments pre-filled from its args validator;
// a query run live (the result follows the data), a mutation or an action run once with
// its duration; the result or the error (with a ConvexError's data) and the run's log lines.

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { display, fromJson, toJson } from "../../values.js";
import { followFunctionLogs } from "../../function_logs.js";
import { showLogLines } from "./log_lines.js";
import { isRunOf } from "./recent_logs.js";
import { exampleValue, signature } from "./validators.js";

const KINDS = { Query: "query", Mutation: "mutation", Action: "action" };

function parseArgs(text) {
  let value;
  try {
    value = fromJson(JSON.parse(text));
  } catch (e) {
    throw new Error(`The arguments are not valid JSON: ${e.message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("The arguments must be a JSON object.");
  }
  return value;
}

const ms = (start) => `${Math.round(performance.now() - start)} ms`;

// `fn`: {componentId, componentPath, path ("dir/file:name"), udfType}; `identity`: the
// "act as a user" editor (`identity.identity()` throws why it cannot be used). Returns
// `{node, stop}`.
export function functionRunner(session, client, fn, identity) {
  const args = h("textarea", { id: "args-editor", className: "short" });
  const shape = h("code", { id: "args-signature" }, "…");
  const kind = KINDS[fn.udfType];
  const writes = fn.udfType !== "Query";
  const run = h("button", { className: "primary", id: "run-function" }, `Run ${kind}`);
  const why = h("span", { className: "muted", id: "run-disabled" });
  const readOnly = writes && session.readOnly;
  let paused = false;
  let running = false;
  const refresh = () => {
    run.disabled = readOnly || paused || running;
    replace(why, readOnly ? "A read-only key cannot run mutations or actions." :
      paused ? "The deployment is paused: functions do not run." : "");
  };
  const status = h("span", { className: "muted", id: "run-status" });
  const result = h("pre", { className: "result", id: "run-result", hidden: true });
  const failure = h("p", { className: "error", id: "run-error" });
  const logs = h("ul", { className: "log-lines", id: "run-logs" });
  let stopRun = () => {};
  let filled = false;

  const show = (outcome) => {
    result.hidden = !("value" in outcome);
    replace(result, "value" in outcome ? JSON.stringify(toJson(outcome.value), null, 2) : "");
    replace(failure, "error" in outcome ? outcome.error : "");
  };
  const failed = (message, data) =>
    ({ error: data === undefined ? message : `${message}\nConvexError data: ${display(data)}` });

  const watchQuery = (value, componentPath) => {
    const start = performance.now();
    let first = true;
    replace(status, "Running…");
    return client.watch(fn.path, value, componentPath, (outcome, lines) => {
      replace(status, first ? `Live · first result in ${ms(start)}` :
        `Live · updated ${new Date().toLocaleTimeString()}`);
      first = false;
      show(outcome.error ? failed(outcome.error.message, outcome.error.data) : outcome);
      showLogLines(logs, lines);
    });
  };

  const runOnce = (value, componentPath) => {
    const start = performance.now();
    let finished = false;
    let execution = null; // the execution the log stream's lines are taken from
    const streamed = [];
    replace(status, "Running…");
    running = true;
    refresh();
    // While it runs, its lines come from the log stream (an action's progress); once it
    // ends, the response's own lines are exactly the run's.
    const stopLogs = followFunctionLogs(session, (entries) => {
      for (const entry of entries) {
        if (execution === null && isRunOf(entry, fn)) execution = entry.executionId;
        if (entry.executionId === execution) streamed.push(...entry.logLines);
      }
      if (!finished) showLogLines(logs, streamed);
    }, () => {}, Date.now());
    client.run(fn.udfType, fn.path, value, componentPath).then((answer) => {
      if (finished) return;
      replace(status, `Ran in ${ms(start)}`);
      show(answer.success ? { value: answer.value } : failed(answer.errorMessage, answer.errorData));
      showLogLines(logs, answer.logLines);
    }, (e) => !finished && show({ error: errorText(e) })).finally(() => {
      finished = true;
      stopLogs();
      running = false;
      refresh();
    });
    return () => {
      finished = true;
      stopLogs();
    };
  };

  run.onclick = () => {
    stopRun();
    stopRun = () => {};
    replace(logs);
    let value;
    try {
      value = parseArgs(args.value);
      client.actAs(identity.identity());
    } catch (e) {
      return show({ error: errorText(e) });
    }
    const componentPath = fn.componentPath || undefined;
    stopRun = writes ? runOnce(value, componentPath) : watchQuery(value, componentPath);
  };

  const stopState = session.watch("_system/frontend/deploymentState:deploymentState", {},
    (state) => {
      paused = state.state !== "running";
      refresh();
    }, (e) => replace(failure, errorText(e)));
  refresh();
  const stopValidator = session.watch("_system/frontend/modules:argsValidator",
    { componentId: fn.componentId, function: fn.path }, (json) => {
      const validator = JSON.parse(json ?? '{"type": "any"}');
      replace(shape, signature(validator));
      if (filled) return;
      filled = true; // the user's edits are kept when a push changes the validator
      const example = validator.type === "any" ? {} : exampleValue(validator);
      args.value = JSON.stringify(toJson(example), null, 2);
    }, (e) => replace(failure, errorText(e)));

  const node = h("div", { className: "runner" },
    h("p", {}, "Arguments ", shape),
    args,
    identity.node,
    h("div", { className: "toolbar" }, run, status, why),
    failure, result,
    h("h3", {}, "Log lines"), logs);
  return {
    node,
    stop: () => {
      stopValidator();
      stopState();
      stopRun();
    },
  };
}
