// Drives the dashboard's Logs and History pages in a real headless Chromium against a
// served deployment. Usage: node logs_browser.mjs <deployment url> <admin key>
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey] = process.argv.slice(2);

// Another client's calls, over HTTP.
async function call(path, body, admin = false) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(admin ? { Authorization: `Convex ${adminKey}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  check(response.ok, `${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const send = (body) => call("/api/mutation", { path: "messages:send", args: { body }, format: "json" });

// `n` synthetic executions of one log line each, as the stream sends them.
function executions(n) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    kind: "Completion", udfType: "Mutation", identifier: "bulk:write", componentPath: null,
    timestamp: (now + i) / 1000, executionTimestamp: (now + i) / 1000, executionTime: 0.001,
    userExecutionTime: 0.001, error: null, success: null, cachedResult: false,
    caller: "SyncWorker", environment: "isolate", identityType: "unknown",
    parentExecutionId: null, returnBytes: null, occInfo: null, willRetry: false,
    requestId: `r${i}`, executionId: `e${i}`, usageStats: { databaseWriteDocuments: 1 },
    logLines: [{ messages: [`bulk line ${i}`], level: "LOG", timestamp: now + i,
      isTruncated: false, systemMetadata: null }],
  }));
}

const PUSH_EVENT = {
  _id: "push", _creationTime: 1, action: "push_config_with_components", member_id: null,
  metadata: {
    component_diffs: [{
      component_path: null,
      component_diff: {
        diffType: { type: "modify" },
        moduleDiff: { added: ["messages.js"], removed: ["old.js"] },
        indexDiff: {
          added_indexes: [{ name: "messages.by_author", type: "database", fields: ["author"] }],
          removed_indexes: [],
        },
        cronDiff: { added: ["cleanup"], updated: [], deleted: [] },
        udfConfigDiff: { previous_version: "1.47.0", next_version: "1.48.0" },
        schemaDiff: { previous_schema: null, next_schema: "{}" },
      },
    }],
    auth_diff: { added: ['{"domain":"https://issuer"}'], removed: [] },
  },
};

const rows = (page) => page.locator("#log-rows .log-row");
const rowWith = (page, text) => page.locator("#log-rows .log-row", { hasText: text });
const texts = (locator) => locator.allTextContents();
// Waits until every shown row satisfies `ok(text, functionName, className)`.
async function allRows(page, ok, what) {
  let shown = [];
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    shown = await rows(page).evaluateAll((found) =>
      found.map((row) => [row.textContent, row.dataset.function, row.className]));
    if (shown.length > 0 && shown.every((row) => ok(...row))) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`not every row: ${what}: ${JSON.stringify(shown)}`);
}

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/logs");
  await page.click("#nav-logs");

  // On opening: what the server still holds, the failure included.
  await rowWith(page, "before opening").first().waitFor();
  await rowWith(page, "the fail function always fails").waitFor();
  step("the log's history shown on opening");

  // A mutation by another client appears live, its lines at their levels and its outcome.
  check((await send("live one")).status === "success", "send failed");
  for (const [level, text] of [["DEBUG", "debug detail of live one"], ["LOG", "sending live one"],
    ["INFO", "info about live one"], ["WARN", "careful with live one"]]) {
    await page.locator(`#log-rows .log-row.line:has(.level-${level})`, { hasText: text }).waitFor();
  }
  const first = await rows(page).first().textContent();
  check(first.includes("messages:send") && first.includes("success"), `newest first: ${first}`);
  step("another client's mutation appeared live with its lines");

  // Level filter: DEBUG lines hide, the others stay; back again.
  await page.uncheck("#level-DEBUG");
  await rowWith(page, "debug detail of live one").waitFor({ state: "detached" });
  await rowWith(page, "careful with live one").waitFor();
  await page.uncheck("#level-WARN");
  await rowWith(page, "careful with live one").waitFor({ state: "detached" });
  await page.check("#level-DEBUG");
  await page.check("#level-WARN");
  await rowWith(page, "debug detail of live one").waitFor();
  step("level filter");

  // Function filter: offered among those seen, and typed.
  const offered = await page.locator("#log-functions option").evaluateAll(
    (options) => options.map((o) => o.value));
  check(offered.includes("messages:send") && offered.includes("messages:fail"), `offered ${offered}`);
  await page.fill("#log-function", "messages:fail");
  await allRows(page, (text, fn, kind) => kind.includes("event") || fn === "messages:fail",
    "messages:fail");
  await page.fill("#log-function", "");
  await rowWith(page, "live one").first().waitFor();
  step("function filter");

  // Status filter: only the failure, with its error and its own lines.
  await page.uncheck("#status-success");
  await allRows(page, (text, fn, kind) => kind.includes("event") || fn === "messages:fail",
    "failures only");
  const failure = page.locator("#log-rows .log-row.outcome");
  check(await failure.count() === 1, `failures: ${await texts(failure)}`);
  check((await failure.textContent()).includes("the fail function always fails"), "no error");
  check((await failure.locator(".status.failure").count()) === 1, "not marked failed");
  await page.check("#status-success");
  await rowWith(page, "live one").first().waitFor();
  step("status filter shows the failure and its error");

  // Text filter: messages and errors.
  await page.fill("#log-search", "careful with");
  await allRows(page, (text) => text.includes("careful with"), "careful with");
  check(await rows(page).count() === 2, `two warnings: ${await texts(rows(page))}`);
  await page.fill("#log-search", "ALWAYS FAILS");
  await allRows(page, (text) => text.includes("always fails"), "the error");
  await page.fill("#log-search", "");
  await rowWith(page, "live one").first().waitFor();
  step("text filter");

  // Pause: new entries wait; resume shows them.
  await page.click("#logs-pause");
  check((await send("while paused")).status === "success", "send failed");
  await page.locator("#logs-state", { hasText: /Paused: [1-9]\d* new entries waiting/ }).waitFor();
  await page.waitForTimeout(300);
  check(await rowWith(page, "while paused").count() === 0, "shown while paused");
  await page.click("#logs-pause");
  await rowWith(page, "sending while paused").waitFor();
  await page.locator("#logs-state", { hasText: "Live" }).waitFor();
  step("pause holds new entries until resume");

  // The request detail: the outcome of "while paused" read 2 documents and wrote 1.
  await page.locator("#log-rows .log-row.outcome").first().click();
  const panel = page.locator("#log-detail");
  await panel.waitFor();
  await panel.locator('dd[data-stat="databaseWriteDocuments"]', { hasText: /^1$/ }).waitFor();
  await panel.locator('dd[data-stat="databaseReadDocuments"]', { hasText: /^2$/ }).waitFor();
  const detail = await panel.textContent();
  for (const expected of ["messages:send", "mutation", "Caller", "Environment", "python",
    "careful with while paused", "success"]) {
    check(detail.includes(expected), `detail lacks ${expected}: ${detail}`);
  }
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "hidden" });
  step("request detail with usage statistics");

  const markup = "<script>window.__xss = 1</script>";
  check((await send(markup)).status === "success", "send failed");
  await rowWith(page, `sending ${markup}`).waitFor();
  check(await page.locator("#log-rows script").count() === 0, "a script element was made");
  check(await page.evaluate(() => window.__xss === undefined), "the script ran");
  step("markup in a log line shown as text");
  await shoot(page, "logs");

  // History, live: an environment variable, then a pause and a resume, through the API.
  await page.click("#nav-history");
  await page.locator("#history-count").filter({ hasText: /event/ }).waitFor();
  await call("/api/v1/update_environment_variables",
    { changes: [{ name: "LOGS_VAR", value: "1" }] }, true);
  const created = page.locator(".history-event", { hasText: "created the environment variable LOGS_VAR" });
  await created.waitFor();
  check((await created.textContent()).includes("admin key"), "no author");
  await created.locator("summary").click();
  await created.locator("pre.metadata", { hasText: '"variable_name": "LOGS_VAR"' }).waitFor();
  step("history shows an environment variable set, live");
  await call("/api/v1/pause_deployment", undefined, true);
  await page.locator(".history-event", { hasText: "paused the deployment" }).waitFor();
  await call("/api/v1/unpause_deployment", undefined, true);
  await page.locator(".history-event").first().filter({ hasText: "resumed the deployment" }).waitFor();
  check(await created.locator("pre.metadata").isVisible(), "the unfolded event closed");
  step("history shows pause and resume, live");
  await shoot(page, "history");

  // The same events, between the function logs.
  await page.click("#nav-logs");
  const event = page.locator("#log-rows .log-row.event", { hasText: "resumed the deployment" });
  await event.waitFor();
  await event.click();
  await page.locator("#log-detail", { hasText: "resumed the deployment" }).waitFor();
  step("audit events interleaved in the logs");

  // History a page at a time, and within dates.
  const many = Array.from({ length: 25 }, (_, i) => ({ name: `PAGED_${i}`, value: "x" }));
  await call("/api/v1/update_environment_variables", { changes: many }, true);
  await page.click("#nav-history");
  await page.locator("#history-count", { hasText: "20 events (more to load)" }).waitFor();
  await page.click("#history-more");
  await page.locator("#history-count", { hasText: /^28 events$/ }).waitFor();
  check(await page.locator("#history-more").isHidden(), "more to load");
  await page.fill("#history-to", "2020-01-01");
  await page.locator("#history-empty").waitFor();
  await page.fill("#history-to", "");
  await page.locator("#history-count", { hasText: "20 events" }).waitFor();
  step("history pages and date range");

  // A push event (the served Python app is never pushed) in words, through the page's module.
  const [pushSummary, pushDetail] = await page.evaluate(async (event) => {
    const view = await import(new URL("js/audit_event_view.js", location.href).href);
    return [view.summary(event), view.detail(event).textContent];
  }, PUSH_EVENT);
  check(pushSummary === "deployed functions (1 added, 1 removed modules)", pushSummary);
  for (const expected of ["App (modify)", "+ module messages.js", "− module old.js",
    "+ index messages.by_author (database: author)", "+ cron cleanup", "schema changed",
    "server version 1.47.0 → 1.48.0", "+ provider"]) {
    check(pushDetail.includes(expected), `push detail lacks ${expected}: ${pushDetail}`);
  }
  step("a push's changes in words");

  // A busy deployment: 6,000 executions (12,000 rows) in one batch; the page keeps 10,000.
  const busy = await browser.loggedIn(url, adminKey, "#/health");
  let polls = 0;
  await busy.route("**/api/app_metrics/stream_function_logs*", async (route) => {
    polls += 1;
    if (polls > 1) await new Promise((resolve) => setTimeout(resolve, 20000).unref());
    const entries = polls > 1 ? [] : executions(6000);
    await route.fulfill({ json: { entries, newCursor: Date.now() } }).catch(() => {});
  });
  let started = Date.now();
  await busy.click("#nav-logs");
  await rowWith(busy, "bulk line 5999").waitFor();
  const shownIn = Date.now() - started;
  await busy.locator("#logs-count", { hasText: /^10000 rows$/ }).waitFor();
  await busy.locator("#logs-note", { hasText: "2000 older rows were dropped" }).waitFor();
  check(await rows(busy).count() < 200, `${await rows(busy).count()} rows in the page`);
  await busy.locator("#log-rows").evaluate((list) => (list.scrollTop = list.scrollHeight));
  await rowWith(busy, "bulk line 1000").waitFor();
  check(await rowWith(busy, "bulk line 999").count() === 0, "a dropped row is shown");
  started = Date.now();
  await busy.uncheck("#level-LOG");
  await busy.locator("#logs-count", { hasText: /^5000 of 10000 rows$/ }).waitFor();
  const filteredIn = Date.now() - started;
  console.error(`12,000 rows received: the newest shown in ${shownIn} ms; a level filter in ${filteredIn} ms`);
  await busy.context().close();
  step("a busy log keeps the last 10,000 rows");

  // A key the server refuses ends the stream, as the official dashboard's does, instead of
  // asking again forever.
  const refused = await browser.loggedIn(url, adminKey, "#/health");
  let refusals = 0;
  await refused.route("**/api/app_metrics/stream_function_logs*", (route) => {
    refusals += 1;
    return route.fulfill({ status: 403, json: { code: "Forbidden", message: "Not allowed." } });
  });
  browser.expectError(/status of 403/);
  await refused.click("#nav-logs");
  await refused.locator("#logs-error", { hasText: "The log stream was refused: Not allowed." }).waitFor();
  await refused.waitForTimeout(2500); // a retry would come after 1 s
  check(refusals === 1, `${refusals} polls after a refusal`);
  await refused.context().close();
  step("a refused key ends the stream");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
