// A custom test query: TypeScript or JavaScript the user writes (`export default
// query({handler})`), stripped of its types by the vendored sucrase (loaded on first run),
// run once, read-only, through POST /api/run_test_function as the official dashboard sends
// it (the module imports `query` from convex:/_system/repl/wrappers.js), with its result
// and log lines.

import { h, replace } from "../../dom.js";
import { errorText } from "../../session.js";
import { showLogLines } from "./log_lines.js";

const WRAPPERS = 'import { query, internalQuery } from "convex:/_system/repl/wrappers.js";\n';
const EXAMPLE = `export default query({
  handler: async (ctx): Promise<unknown> => {
    const files = await ctx.db.system.query("_storage").take(10);
    console.log(\`\${files.length} files\`);
    return files;
  },
});
`;

// The module's JavaScript; a syntax error says where.
async function javascript(source) {
  const { transform } = await import("../../../vendor/sucrase.js");
  return transform(source, { transforms: ["typescript"] }).code;
}

export function customQuery(session) {
  const code = h("textarea", { id: "custom-query-editor", spellcheck: false });
  code.value = EXAMPLE;
  const run = h("button", { className: "primary", id: "run-custom-query" }, "Run custom query");
  const status = h("span", { className: "muted", id: "custom-query-status" });
  const result = h("pre", { className: "result", id: "custom-query-result", hidden: true });
  const failure = h("p", { className: "error", id: "custom-query-error" });
  const logs = h("ul", { className: "log-lines", id: "custom-query-logs" });
  const abort = new AbortController();

  run.onclick = async () => {
    replace(failure);
    result.hidden = true;
    replace(status, "Running…");
    const start = performance.now();
    let source;
    try {
      source = WRAPPERS + await javascript(code.value);
    } catch (e) {
      replace(status);
      return replace(failure, `Not valid TypeScript: ${e.message}`);
    }
    try {
      const answer = await session.call("POST", "/api/run_test_function", {
        adminKey: session.key,
        bundle: { path: "testQuery.js", source },
        args: {},
        format: "convex_encoded_json",
      }, abort.signal);
      replace(status, `Ran in ${Math.round(performance.now() - start)} ms`);
      if (answer.status === "success") {
        result.hidden = false;
        replace(result, JSON.stringify(answer.value, null, 2)); // already Convex's JSON
      } else {
        replace(failure, answer.errorMessage);
      }
      showLogLines(logs, answer.logLines ?? []);
    } catch (e) {
      if (!abort.signal.aborted) {
        replace(status);
        replace(failure, errorText(e));
      }
    }
  };

  const node = h("div", { className: "custom-query" },
    h("p", { className: "muted" },
      "A query written here runs once, read-only, at the latest data, as the admin. ",
      "Write `export default query({ handler: async (ctx) => … })` in TypeScript or ",
      "JavaScript; `query` is in scope."),
    code,
    h("div", { className: "toolbar" }, run, status),
    failure, result,
    h("h3", {}, "Log lines"), logs);
  return { node, stop: () => abort.abort() };
}
