// Drives the dashboard's Health page in a headless Chromium against a served deployment
// (test_dashboard_health.py's app): empty first, then the calls this script makes, read
// back from /api/app_metrics/* to compare with what the page shows. Usage:
//   node health_browser.mjs <deployment url> <admin key> <read-only key>
import { createRequire } from "node:module";
import { check, run, shoot, step } from "./browser_harness.mjs";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const { anyApi } = require("convex/server");

const [url, adminKey, readOnlyKey] = process.argv.slice(2);

async function call(kind, path, args = {}) {
  const response = await fetch(`${url}/api/${kind}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path, args, format: "json" }),
  });
  return await response.json();
}

// A metrics route over the last hour, as the page asks for it.
async function metric(route, params = {}, buckets = 60) {
  const instant = (ms) => ({ secs_since_epoch: Math.floor(ms / 1000), nanos_since_epoch: 0 });
  const end = Date.now();
  const window = JSON.stringify(
    { start: instant(end - 3600_000), end: instant(end), num_buckets: buckets });
  const query = new URLSearchParams({ window, ...params });
  const response = await fetch(`${url}/api/app_metrics/${route}?${query}`, {
    headers: { Authorization: `Convex ${adminKey}`, "Convex-Client": "dashboard-0.0.0" },
  });
  check(response.ok, `${route}: HTTP ${response.status}`);
  return await response.json();
}

async function checkNoErrorShown(page) {
  const errors = await page.locator("main .error").evaluateAll((nodes) =>
    nodes.map((n) => n.textContent).filter((t) => t.trim()));
  check(errors.length === 0, errors.join(" | "));
}

const total = (series) => series.reduce((sum, [, v]) => sum + (v ?? 0), 0);
const topKTotal = (top) => top.reduce((sum, [, series]) => sum + total(series), 0);
const succeeded = async (kind, path, args) => (await call(kind, path, args)).status === "success";
const percent = (p) => `${Number.isInteger(p) ? p : p.toFixed(1)}%`;

// One subscriber of messages:list, resolved with its client once it has a result.
function subscriber() {
  const client = new ConvexClient(url);
  return new Promise((resolve, reject) => {
    client.onUpdate(anyApi.messages.list, {}, () => resolve(client), reject);
  });
}

await run(async (browser) => {
  const page = await browser.newPage();
  const healthRequests = []; // the routes only the Health page asks for
  const routes = ["function_call_count_top_k", "scheduled_job_lag", "function_concurrency"];
  const health = new RegExp(`/api/app_metrics/(${routes.join("|")})\\?`);
  page.on("request", (r) => health.test(r.url()) && healthRequests.push(r.url()));
  await page.clock.install();
  await page.goto(`${url}/dashboard/#/health`);
  await page.fill("#admin-key", adminKey);
  await page.click("#login");
  await page.locator("#health-state", { hasText: "running" }).waitFor();
  const noCalls = "No function calls in the last hour";
  await page.locator("#chart-calls[data-empty]", { hasText: noCalls }).waitFor();
  await page.locator("#top-failures", { hasText: noCalls }).waitFor();
  await page.locator("#chart-invalidations[data-empty]").waitFor();
  step("empty charts before any call");

  for (let i = 0; i < 3; i++) check(await succeeded("query", "messages:list"), "query");
  check(await succeeded("mutation", "messages:send", { body: "hi" }), "send");
  const rejected = JSON.stringify(await call("mutation", "messages:reject"));
  check(/"error".*rejected on purpose/.test(rejected), rejected);
  check(await succeeded("mutation", "jobs:schedule"), "schedule");
  // Subscribers joining a live query with a current result are served from the cache; a
  // write to its table invalidates it.
  const first = await subscriber();
  const others = [await subscriber(), await subscriber()];
  check(await succeeded("mutation", "messages:send", { body: "again" }), "send");
  await Promise.all([first, ...others].map((client) => client.close()));
  // Until the scheduled job ran and the count holds still (a live query's last run ends).
  for (let i = 0, last = -1; ; i++) {
    const top = await metric("function_call_count_top_k", { k: "5" });
    const now = topKTotal(top);
    if (top.some(([key]) => key === "jobs.js:work") && now === last) break;
    check(i < 100, "the scheduled job did not run");
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  step("functions called");

  // The page was open all along: its next refresh shows the calls.
  await page.clock.fastForward("00:31");
  await page.locator("#chart-calls[data-total]").waitFor();
  const calls = await metric("function_call_count_top_k", { k: "5" });
  const callTotal = topKTotal(calls);
  check(callTotal >= 9, `only ${callTotal} calls counted`);
  const shownTotal = Number(await page.getAttribute("#chart-calls", "data-total"));
  check(shownTotal === callTotal, `the chart shows ${shownTotal} calls, the server ${callTotal}`);
  const headline = `${callTotal} calls in the last hour`;
  await page.locator("#calls-headline", { hasText: headline }).waitFor();
  for (const [key, series] of calls) {
    const item = page.locator(`#chart-calls li[data-key="${key}"]`);
    check(Number(await item.getAttribute("data-total")) === total(series), `${key}'s calls differ`);
  }
  const plot = page.locator("#chart-calls svg.chart-plot");
  check(await plot.locator("path").count() === calls.length, "not a line per function");
  const [, listSeries] = calls.find(([key]) => key === "messages.js:list");
  const [, listLatest] = listSeries.filter(([, v]) => v !== null).at(-1);
  const pointTitles = await plot.locator(".chart-point title").allTextContents();
  check(pointTitles.some((t) => t.endsWith(` messages.js:list: ${listLatest}`)), "no point titles");
  for (const axis of ["calls / minute", "time"]) {
    check(await plot.locator("text", { hasText: axis }).count() === 1, `no axis label ${axis}`);
  }
  const failing = page.locator('#chart-failures li[data-key="messages.js:reject"]');
  await failing.filter({ hasText: "100%" }).waitFor();
  const worstHeadline = "Most failures: messages.js:reject";
  await page.locator("#failures-headline", { hasText: worstHeadline }).waitFor();
  await page.locator('#chart-cache li[data-key="messages.js:list"]').waitFor();
  step("the charts show the calls after a refresh");

  const failures = await metric("failure_percentage_top_k", { k: "5" }, 1);
  const [[worstKey, [[, worstRate]]]] = failures;
  check(worstKey === "messages.js:reject" && worstRate === 100, JSON.stringify(failures));
  const worst = page.locator("#top-failures tbody tr").first();
  check((await worst.getAttribute("data-key")) === worstKey, "the failing mutation is not first");
  check((await worst.textContent()).includes("100%"), await worst.textContent());
  const cache = await metric("cache_hit_percentage_top_k", { k: "5" }, 1);
  const [, [[, hitRate]]] = cache.find(([key]) => key === "messages.js:list");
  check(hitRate > 0 && hitRate < 100, `cache hit rate ${hitRate}`);
  const cached = page.locator('#top-cache tr[data-key="messages.js:list"]');
  check(Number(await cached.getAttribute("data-value")) === hitRate, "another cache hit rate");
  check((await cached.textContent()).includes(percent(hitRate)), await cached.textContent());
  const listed = page.locator('#top-calls tr[data-key="messages.js:list"] td');
  check(await listed.count() === 6, "not function, calls and four percentiles");
  const latency = await metric("latency_percentiles",
    { path: "messages:list", udfType: "Query", percentiles: "[50,90,95,99]" }, 1);
  const p99 = Math.round(latency[3][1][0][1] * 1000);
  const shownP99 = await listed.nth(5).textContent();
  check(shownP99 === `${p99} ms`, `p99 ${shownP99}, not ${p99} ms`);
  step("the top functions match the server's metrics");

  const invalidations = await metric("subscription_invalidations_top_k", { k: "3" });
  const invalidated = "messages.js:send:messages";
  check(invalidations.some(([key]) => key === invalidated), JSON.stringify(invalidations));
  const pair = page.locator(`#chart-invalidations li[data-key="${invalidated}"]`);
  await pair.filter({ hasText: "messages.js:send → messages" }).waitFor();
  check(Number(await page.getAttribute("#chart-running", "data-total")) > 0, "nothing ran");
  await page.locator("#chart-lag svg.chart-plot").waitFor();
  await page.locator("#chart-queued svg.chart-plot").waitFor();
  await checkNoErrorShown(page);
  await page.locator(".health-heading").evaluate((heading) => heading.scrollIntoView());
  await shoot(page, "health");
  step("concurrency, scheduler lag and invalidations shown");

  await page.click("#nav-settings");
  await page.locator("#nav-settings.active").waitFor();
  const asked = healthRequests.length;
  await page.clock.fastForward("02:00");
  await page.waitForTimeout(300);
  check(healthRequests.length === asked, `${healthRequests.length - asked} requests after leaving`);
  step("refreshing stops when the page is left");

  const reader = await browser.loggedIn(url, readOnlyKey, "#/health");
  await reader.locator(`#chart-calls[data-total="${callTotal}"]`).waitFor();
  await reader.locator('#top-failures tbody tr[data-key="messages.js:reject"]').waitFor();
  await reader.locator('#top-cache tr[data-key="messages.js:list"]').waitFor();
  await reader.locator('#chart-invalidations li[data-key="messages.js:send:messages"]').waitFor();
  await reader.locator('#top-calls tr[data-key="messages.js:list"]').waitFor();
  await checkNoErrorShown(reader);
  step("a read-only key sees it all");

  const down = { code: "Internal", message: "metrics are down" };
  await reader.route("**/api/app_metrics/function_concurrency?*", (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify(down) }));
  browser.expectError(/status of 500/);
  await reader.reload();
  const refused = "Could not load this chart: metrics are down";
  await reader.locator("#card-running .error", { hasText: refused }).waitFor();
  await reader.locator("#card-queued .error", { hasText: refused }).waitFor();
  await reader.locator("#chart-calls[data-total]").waitFor();
  step("a chart that cannot load says why");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
