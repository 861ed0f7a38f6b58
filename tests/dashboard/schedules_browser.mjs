// The Schedules page in a real headless Chromium against a served deployment, which has
// scheduled jobs:fire twice and jobs:ping once, hours ahead. Usage:
//   node schedules_browser.mjs <deployment url> <admin key> <read-only key>
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, readOnlyKey] = process.argv.slice(2);

async function post(path, body, key) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(key && { Authorization: `Convex ${key}` }) },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  check(answer.status === "success", JSON.stringify(answer));
  return answer.value;
}

const remind = (fn, text, inMs) =>
  post("/api/mutation", { path: "jobs:remind", args: { fn, text, inMs }, format: "json" });

// What the server still has to run: the functions of its pending jobs, by id.
async function pending() {
  const page = await post("/api/query", {
    path: "_system/frontend/paginatedScheduledJobs:default",
    args: { paginationOpts: { numItems: 100, cursor: null } }, format: "json",
  }, adminKey);
  return Object.fromEntries(page.page.map((job) => [job._id, job.udfPath]));
}

const rows = (page) => page.locator("#scheduled-jobs tbody tr");
const row = (page, id) => page.locator(`#scheduled-jobs tbody tr[data-id="${id}"]`);
const texts = async (page, selector) =>
  (await page.locator(selector).allTextContents()).map((t) => t.trim());

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/schedules");
  await rows(page).nth(2).waitFor();
  const functions = await texts(page, "#scheduled-jobs tbody tr td:first-child");
  check(functions.join() === "jobs:fire,jobs:fire,jobs:ping", functions.join());
  const [farId] = Object.keys(await pending());
  const far = row(page, farId);
  await far.locator("td.args", { hasText: '{"text":"<b>far</b>"}' }).waitFor();
  check((await page.locator("#scheduled-jobs b").count()) === 0, "markup was rendered");
  check(/in (59|60) min/.test(await far.textContent()), await far.textContent());
  await shoot(page, "schedules");
  step("listed the scheduled runs with their arguments");

  const liveId = await remind("jobs:ping", "live", 4 * 3_600_000);
  await row(page, liveId).locator("td.args", { hasText: "live" }).waitFor();
  step("saw another client's run live");

  await page.fill("#jobs-filter", "jobs:ping");
  await page.press("#jobs-filter", "Enter");
  await page.locator("#cancel-all", { hasText: "jobs:ping" }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll("#scheduled-jobs tbody tr")]
    .map((tr) => tr.firstChild.textContent).join() === "jobs:ping,jobs:ping");
  await page.fill("#jobs-filter", "");
  await page.press("#jobs-filter", "Enter");
  await row(page, farId).waitFor();
  step("filtered by function");

  await far.locator("button.cancel").click();
  await page.locator(".confirm", { hasText: "Cancel the run of jobs:fire due in" }).waitFor();
  await page.click("#confirm-yes");
  await far.waitFor({ state: "detached" });
  check(!(farId in await pending()), "the server still has the canceled run");
  step("canceled one run");

  await page.fill("#jobs-filter", "jobs:fire");
  await page.press("#jobs-filter", "Enter");
  await page.locator("#cancel-all", { hasText: "Cancel all runs of jobs:fire" }).click();
  await page.click("#confirm-yes");
  await page.locator("#no-jobs").waitFor();
  const left = Object.values(await pending());
  check(left.join() === "jobs.js:ping,jobs.js:ping", `left: ${left}`);
  step("canceled all runs of one function");

  await page.fill("#jobs-filter", "");
  await page.press("#jobs-filter", "Enter");
  await rows(page).nth(1).waitFor();
  await page.locator("#cancel-all", { hasText: /^Cancel all$/ }).click();
  await page.click("#confirm-yes");
  await page.locator("#no-jobs").waitFor();
  check(Object.keys(await pending()).length === 0, "the server still has runs");
  step("canceled every run");

  await page.click("#tab-crons");
  check(page.url().endsWith("#/schedules/crons"), page.url());
  const tick = page.locator('#cron-jobs tr[data-name="every second"]');
  await tick.locator("td.schedule", { hasText: "every 1 second" }).waitFor();
  const nightly = page.locator('#cron-jobs tr[data-name="nightly"]');
  await nightly.locator("td.schedule", { hasText: 'cron "0 3 * * *"' }).waitFor();
  await nightly.locator("td.args", { hasText: '{"text":"<i>night</i>"}' }).waitFor();
  check((await nightly.textContent()).includes("never"), "nightly ran");
  await page.locator('#cron-jobs tr[data-name="report"] td.schedule',
    { hasText: "daily at 17:05 UTC" }).waitFor();
  step("listed the cron jobs with their schedules");

  await tick.locator(".state.success").waitFor();
  await tick.locator("button.history").click();
  await page.locator("h2", { hasText: "Recent runs of every second" }).waitFor();
  const run = page.locator('#cron-runs tr[data-name="every second"]').first();
  await run.locator(".state.success").waitFor();
  check((await run.locator("td.logs").textContent()) === "[LOG] 'tick'",
    await run.locator("td.logs").textContent());
  check(/ms$/.test(await run.locator("td.number").textContent()), "no duration");
  step("saw a cron job's runs");

  await remind("jobs:ping", "for the reader", 3_600_000);
  const reader = await browser.loggedIn(url, readOnlyKey, "#/schedules/functions");
  await rows(reader).first().waitFor();
  check(await reader.isDisabled("#scheduled-jobs button.cancel"), "cancel is enabled");
  check(await reader.isDisabled("#cancel-all"), "cancel all is enabled");
  step("a read-only key changes nothing");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
