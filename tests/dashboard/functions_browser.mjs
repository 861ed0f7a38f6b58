// Drives the dashboard's Functions page in a real headless Chromium against a served
// deployment (the app of test_dashboard_functions.py). Usage:
//   node functions_browser.mjs <deployment url> <admin key> <read-only key>
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, readOnlyKey] = process.argv.slice(2);

// Another client's call over HTTP.
async function call(kind, path, args) {
  const response = await fetch(`${url}/api/${kind}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path, args, format: "json" }),
  });
  const body = await response.json();
  check(body.status === "success", JSON.stringify(body));
  return body.value;
}

const fn = (key) => `[data-function="${key}"]`;
const text = (page, selector, hasText) => page.locator(selector, { hasText }).waitFor();

// Opens a function's runner: the new page is mounted once its link is the active one.
async function select(page, key) {
  await page.click(fn(key));
  await page.locator(`${fn(key)}.active`).waitFor();
  await page.locator("#args-signature").filter({ hasNotText: "…" }).waitFor();
}

async function runWith(page, key, args) {
  await select(page, key);
  if (args !== undefined) await page.fill("#args-editor", JSON.stringify(args));
  await page.click("#run-function");
}

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/functions");

  // The tree: every function by module, with kind and visibility; the route; the cron job.
  await page.locator(fn("messages.js:send")).waitFor();
  for (const [key, kind] of [["messages.js:count", "query"], ["messages.js:send", "mutation"],
    ["messages.js:shout", "action"], ["users.js:whoami", "query"],
    ["jobs.js:cleanup", "mutation"], ["http.js:GET /hello", "HTTP"]]) {
    check((await page.textContent(fn(key))).includes(kind), `${key} is not a ${kind}`);
  }
  check((await page.locator(`${fn("jobs.js:cleanup")} .internal`).count()) === 1, "not internal");
  check((await page.locator(`${fn("messages.js:send")} .internal`).count()) === 0, "internal");
  const signature = await page.textContent(`${fn("messages.js:send")} .signature`);
  check(signature === "{author: string, body: string}", `args validator: ${signature}`);
  const cron = page.locator('#cron-list [data-cron="nightly cleanup"]');
  await cron.waitFor();
  const cronText = await cron.textContent();
  check(cronText.includes('cron "0 3 * * *"') && cronText.includes("cleanup"), cronText);
  await page.click(fn("http.js:GET /hello"));
  await page.locator(`${fn("http.js:GET /hello")}.active`).waitFor();
  await text(page, "#route-url", /^http:\/\/127\.0\.0\.1:\d+\/hello$/);
  step("the tree lists the functions, routes and crons");

  // Arguments pre-filled from the validator: required fields only, an example of each type.
  await select(page, "messages.js:configure");
  const prefilled = JSON.parse(await page.inputValue("#args-editor"));
  const expected = {
    title: "", size: 0, limit: { $integer: "AAAAAAAAAAA=" }, enabled: false,
    channel: "<id of channels>", tags: [], mode: "fast", owner: { name: "" },
  };
  check(JSON.stringify(prefilled) === JSON.stringify(expected), JSON.stringify(prefilled));
  const shape = await page.textContent("#args-signature");
  check(shape.includes("note?: string") && shape.includes("limit: int64"), shape);
  step("arguments pre-filled from the validator");

  // A query runs live: another client's write changes its result without a new run.
  await runWith(page, "messages.js:count");
  await text(page, "#run-result", /^2$/);
  await text(page, "#run-status", "Live");
  await call("mutation", "messages:send", { author: "http", body: "three" });
  await text(page, "#run-result", /^3$/);
  step("a query runs live");

  // A mutation: its result, its effect on the server, its log line under the result.
  await runWith(page, "messages.js:send", { author: "dashboard", body: "from the runner" });
  await text(page, "#run-status", "Ran in");
  await text(page, "#run-result", /^"[0-9a-z]+"$/);
  await text(page, "#run-logs li", "sending from the runner");
  check(await call("query", "messages:count", {}) === 4, "the mutation did not write");
  // The function's recent log: this run, and the runs of other clients before the page opened.
  await text(page, "#function-logs tr", "sending from the runner");
  await text(page, "#function-logs tr", "sending one");
  check(await page.locator("#function-logs tr.outcome", { hasText: "success" }).count() >= 3,
    "no outcome rows");
  await shoot(page, "functions");
  step("a mutation runs with its log line");

  await runWith(page, "messages.js:fail");
  await text(page, "#run-error", "this always fails");
  await text(page, "#run-error", "ConvexError data: this always fails");
  await text(page, "#function-logs tr.failure", "this always fails");
  check(await page.locator("#run-result").isHidden(), "a result is shown for an error");
  step("an error shows its message and data");

  await runWith(page, "jobs.js:cleanup");
  await text(page, "#run-result", '"cleaned"');
  await text(page, "#run-logs li", "cleaning up");
  await runWith(page, "messages.js:shout", { text: "hey" });
  await text(page, "#run-result", '"HEY"');
  await text(page, "#run-logs li", "shouting");
  step("an internal function and an action run");

  // Act as a user: the query sees the typed identity.
  await runWith(page, "users.js:whoami");
  await text(page, "#run-result", /^null$/);
  await page.check("#act-as");
  await page.fill("#identity-editor",
    JSON.stringify({ subject: "user-42", issuer: "https://auth.example.com", name: "Ada" }));
  await page.click("#run-function");
  await text(page, "#run-result", '"user-42"');
  await select(page, "messages.js:count");
  await runWith(page, "users.js:whoami");
  await text(page, "#run-result", '"user-42"'); // still that user after picking another
  step("acted as a user");

  // A custom test query, sent as the official dashboard sends it.
  await page.click("#custom-query-link");
  await page.click("#run-custom-query"); // the example it starts with
  await text(page, "#custom-query-logs li", "0 files");
  check(await page.textContent("#custom-query-error") === "",
    await page.textContent("#custom-query-error"));
  await page.fill("#custom-query-editor", `import type { Doc } from "./_generated/dataModel";
  export default query({
    handler: async (ctx: any): Promise<number> => {
      console.log("counting messages");
      const all: Doc<"messages">[] = await ctx.db.query("messages").collect();
      return all.length as number;
    },
  });`);
  await page.click("#run-custom-query");
  await text(page, "#custom-query-result", /^4$/);
  await text(page, "#custom-query-logs li", "counting messages");
  await page.fill("#custom-query-editor", "export default query({ handler: async (ctx => 1 });");
  await page.click("#run-custom-query");
  await text(page, "#custom-query-error", /^Not valid TypeScript: /);
  step("a custom test query counts");

  // A read-only key: mutations and actions cannot run, queries and custom queries can.
  const reader = await browser.loggedIn(url, readOnlyKey, "#/functions");
  await select(reader, "messages.js:send");
  check(await reader.isDisabled("#run-function"), "a read-only key may run a mutation");
  await text(reader, "#run-disabled", "read-only");
  await select(reader, "messages.js:shout");
  check(await reader.isDisabled("#run-function"), "a read-only key may run an action");
  await runWith(reader, "messages.js:count");
  await text(reader, "#run-result", /^4$/);
  await reader.click("#custom-query-link");
  await reader.fill("#custom-query-editor",
    "export default query({ handler: async (ctx) => 40 + 2 });");
  await reader.click("#run-custom-query");
  await text(reader, "#custom-query-result", /^42$/);
  step("a read-only key runs queries only");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
