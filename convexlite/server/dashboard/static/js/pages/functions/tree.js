// The Functions page's tree: each namespace (the app, then every mounted component) with its
// module files and their functions (kind, internal or public; HTTP routes are `http.js`'s
// `"GET /path"` functions) and args validator, and the cron jobs.

import { h } from "../../dom.js";
import { display } from "../../values.js";
import { signature } from "./validators.js";

export const KIND_LABELS = { Query: "query", Mutation: "mutation", Action: "action",
  HttpAction: "HTTP" };

// The functions of `listForAllComponents`, flattened: `{key, componentId, componentPath,
// module, name, path, udfType, visibility}`; `key` names it in the page's URL.
export function functionsOf(listed, componentPaths) {
  const functions = [];
  for (const [componentId, modules] of listed) {
    const componentPath = componentId === null ? "" : componentPaths.get(componentId) ?? "?";
    for (const [module, { functions: fns }] of modules) {
      for (const fn of fns) {
        functions.push({
          key: `${componentPath ? `${componentPath}|` : ""}${module}:${fn.name}`,
          componentId, componentPath, module, name: fn.name, udfType: fn.udfType,
          visibility: fn.visibility.kind,
          path: `${module.replace(/\.js$/, "")}:${fn.name}`,
        });
      }
    }
  }
  return functions;
}

const groupBy = (items, key) => {
  const groups = new Map();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};

export function badges(fn) {
  return [
    h("span", { className: `badge kind-${fn.udfType}` }, KIND_LABELS[fn.udfType] ?? fn.udfType),
    fn.visibility === "internal" ? h("span", { className: "badge internal" }, "internal") : null,
  ];
}

// `signatures`: the app's functions' args validators (JSON strings) by `module.js:name`.
export function moduleTree(functions, selected, signatures) {
  if (functions.length === 0) return h("p", { className: "muted" }, "No functions deployed.");
  return [...groupBy(functions, (fn) => fn.componentPath)].map(([componentPath, inComponent]) =>
    h("div", { className: "namespace", "data-component": componentPath },
      h("h3", {}, componentPath ? `Component ${componentPath}` : "App"),
      [...groupBy(inComponent, (fn) => fn.module)].map(([module, fns]) =>
        h("div", { className: "module", "data-module": module },
          h("div", { className: "module-name" }, module),
          fns.map((fn) => h("a", {
            href: `#/functions/${encodeURIComponent(fn.key)}`,
            className: fn.key === selected ? "active" : "", "data-function": fn.key,
          }, h("span", { className: "name" }, fn.name), badges(fn),
          argsOf(fn, signatures)))))));
}

function argsOf(fn, signatures) {
  const json = fn.componentPath ? undefined : signatures.get(`${fn.module}:${fn.name}`);
  if (!json) return null;
  const text = signature(JSON.parse(json));
  return h("code", { className: "signature", title: text }, text);
}

// A cron schedule as crons.ts declares it: `cron "*/5 * * * *"`, `interval seconds=300`.
function scheduleText({ type, cronExpr, ...fields }) {
  if (type === "cron") return `cron "${cronExpr}"`;
  return [type, ...Object.entries(fields).map(([k, v]) => `${k}=${display(v)}`)].join(" ");
}

export function cronList(jobs) {
  if (jobs.length === 0) return h("p", { className: "muted" }, "No cron jobs.");
  return h("div", { id: "cron-list" }, jobs.map((job) => h("div", {
    className: "cron", "data-cron": job.name,
  },
  h("div", { className: "name" }, job.name),
  h("div", { className: "muted" }, scheduleText(job.cronSpec.cronSchedule), " → ",
    h("code", {}, job.cronSpec.udfPath)))));
}
