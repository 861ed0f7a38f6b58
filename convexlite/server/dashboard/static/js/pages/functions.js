// Functions: every function of the app and of its mounted components by module file (live:
// a push re-renders it), the HTTP routes and the cron jobs; the selected function's runner
// (`#/functions/<module>:<name>`), or a custom test query (`#/functions/~custom-query`).

import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import { customQuery } from "./functions/custom_query.js";
import { identityEditor } from "./functions/identity.js";
import { functionRunner } from "./functions/runner.js";
import { recentLogs } from "./functions/recent_logs.js";
import { RunnerClient } from "./functions/runner_client.js";
import { badges, cronList, functionsOf, moduleTree } from "./functions/tree.js";

const CUSTOM_QUERY = "~custom-query";

export function mount(container, session, [selected]) {
  stylesheet("functions");
  const error = h("p", { className: "error", id: "functions-error" });
  const report = (e) => replace(error, errorText(e));
  const tree = h("div", { id: "function-tree" }, "…");
  const crons = h("div", { id: "crons" }, "…");
  const panel = h("div", { className: "function-panel", id: "function-panel" });
  replace(container, h("h1", {}, "Functions"), error,
    h("div", { className: "functions" },
      h("aside", {},
        h("a", {
          href: `#/functions/${CUSTOM_QUERY}`, id: "custom-query-link",
          className: selected === CUSTOM_QUERY ? "active" : "",
        }, "Custom test query"),
        tree,
        h("h3", {}, "Cron jobs"), crons),
      panel));

  let componentPaths = new Map();
  let signatures = new Map();
  let listed = null;
  let shown = null; // the panel's {stop} once it shows the selection
  const stops = [];

  const showPanel = (functions) => {
    if (shown !== null || selected === undefined) return;
    if (selected === CUSTOM_QUERY) {
      const custom = customQuery(session);
      replace(panel, h("h2", {}, "Custom test query"), custom.node);
      shown = custom;
      return;
    }
    const fn = functions.find((f) => f.key === selected);
    if (fn === undefined) {
      return replace(panel, h("p", { className: "muted" }, `No function ${selected}.`));
    }
    const show = fn.udfType === "HttpAction" ? routePanel : runnerPanel;
    shown = show(session, panel, fn);
  };
  const render = () => {
    if (listed === null) return;
    const functions = functionsOf(listed, componentPaths);
    replace(tree, moduleTree(functions, selected, signatures));
    showPanel(functions);
  };

  // The args validators of the app's functions, read again whenever the modules change.
  let reads = 0;
  const readSignatures = async () => {
    const read = ++reads;
    try {
      const spec = await session.query("_system/cli/modules:apiSpec", {});
      if (read !== reads) return;
      signatures = new Map(spec.map((fn) => [fn.identifier, fn.args]));
      render();
    } catch (e) {
      report(e);
    }
  };

  if (selected === undefined) {
    replace(panel, h("p", { className: "muted" },
      "Pick a function to run it, or write a custom test query."));
  }
  stops.push(
    session.watch("_system/frontend/components:list", {}, (components) => {
      componentPaths = new Map(components.map((c) => [c.id, c.path]));
      render();
    }, report),
    session.watch("_system/frontend/modules:listForAllComponents", {}, (value) => {
      listed = value;
      render();
      readSignatures();
    }, report),
    session.watch("_system/frontend/listCronJobs:default", { componentId: null },
      (jobs) => replace(crons, cronList(jobs)), report),
  );
  return () => {
    reads += 1; // a signature read still under way is dropped
    stops.forEach((stop) => stop());
    shown?.stop();
  };
}

function header(fn) {
  return h("div", { className: "function-header" },
    h("h2", { id: "function-name" }, fn.name), badges(fn),
    h("span", { className: "muted" },
      fn.componentPath ? `${fn.componentPath} · ${fn.module}` : fn.module));
}

function runnerPanel(session, panel, fn) {
  const client = new RunnerClient(session);
  const runner = functionRunner(session, client, fn, identityEditor());
  const logs = recentLogs(session, fn);
  replace(panel, header(fn), runner.node, logs.node);
  return {
    stop: () => {
      runner.stop();
      logs.stop();
      client.close();
    },
  };
}

// An HTTP action is called over HTTP, at the deployment's site URL.
function routePanel(session, panel, fn) {
  const [method, path] = fn.name.split(" ");
  const url = h("code", { id: "route-url" }, path);
  const logs = recentLogs(session, fn);
  replace(panel, header(fn),
    h("p", {}, "Called over HTTP: ", h("code", {}, method), " ", url),
    h("p", { className: "muted" }, "HTTP actions are not run from the dashboard; call the URL."),
    logs.node);
  const stopUrl = session.watch("_system/frontend/convexSiteUrl:default", {},
    (site) => replace(url, `${site}${path}`),
    (e) => replace(url, `${path} (no site URL: ${errorText(e)})`));
  return {
    stop: () => {
      stopUrl();
      logs.stop();
    },
  };
}
