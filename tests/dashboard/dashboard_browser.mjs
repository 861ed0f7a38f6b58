// Drives the built-in dashboard in a real headless Chromium against a served deployment:
// login both ways, Data browsing and editing, pause/resume, an environment variable, a
// read-only key. Usage:
//   node dashboard_browser.mjs <deployment url> <admin key> <login link> <read-only key>
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, loginLink, readOnlyKey] = process.argv.slice(2);

// The write another client makes meanwhile, over HTTP.
async function send(author, body) {
  const response = await fetch(`${url}/api/mutation`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path: "messages:send", args: { author, body }, format: "json" }),
  });
  return await response.json();
}

const row = (page, text) => page.locator("#documents tbody tr", { hasText: text });

await run(async (browser) => {
  const newPage = () => browser.newPage();
  // Log in by pasting the key.
  const page = await newPage();
  await page.goto(`${url}/dashboard/`);
  await page.fill("#admin-key", "not-a-key");
  browser.expected401s += 1;
  await page.click("#login");
  await page.locator("#login-error").filter({ hasText: /./ }).waitFor();
  await page.fill("#admin-key", adminKey);
  await page.click("#login");
  await page.locator("#health-instance").filter({ hasNotText: "…" }).waitFor();
  check((await page.textContent("#health-state")) !== null, "no state");
  await page.locator("#health-state", { hasText: "running" }).waitFor();
  check(!page.url().includes(adminKey), "the key is in the URL");

  step("logged in with the key");

  // The login link: its token works once and leaves the address bar.
  const linked = await newPage();
  await linked.goto(loginLink);
  await linked.locator("#health-instance").filter({ hasNotText: "…" }).waitFor();
  check(!linked.url().includes("token"), `token left in the URL: ${linked.url()}`);
  const stored = await linked.evaluate(() => sessionStorage.getItem("convexlite.adminKey"));
  check(stored?.startsWith(adminKey.split("|")[0] + "|"), "the link's key is not in sessionStorage");
  const again = await newPage();
  browser.expected401s += 1;
  await again.goto(loginLink);
  await again.locator("#login-error", { hasText: "already used" }).waitFor();
  step("login link used once");

  // Data: the table list, browsing, another client's write appearing live.
  await page.click("#nav-data");
  await page.click('#table-list a[data-table="messages"]');
  await page.locator("#table-size", { hasText: "3 documents" }).waitFor();
  check((await page.locator("#documents tbody tr").count()) === 3, "not 3 rows");
  step("browsed a table");
  await page.evaluate(() => (window.__notReloaded = true));
  const sent = await send("http", "live write");
  check(sent.status === "success", JSON.stringify(sent));
  await row(page, "live write").waitFor();
  await page.locator("#table-size", { hasText: "4 documents" }).waitFor();
  check(await page.evaluate(() => window.__notReloaded === true), "the page reloaded");
  const first = await page.locator("#documents tbody tr").first().textContent();
  check(first.includes("live write"), "newest is not first");
  step("saw another client's write live");

  await page.selectOption("#order", "asc");
  await page.locator("#documents tbody tr").first().filter({ hasText: "first message" }).waitFor();
  await page.selectOption("#order", "desc");
  await page.locator("#documents tbody tr").first().filter({ hasText: "live write" }).waitFor();
  step("sorted both ways");

  // A document holding markup is shown as text.
  const cell = row(page, "<script>");
  await cell.waitFor();
  check((await cell.textContent()).includes("<script>window.__xss = 1</script>"), "not as text");
  check((await page.locator("#documents script").count()) === 0, "a script element was made");
  check(await page.evaluate(() => window.__xss === undefined), "the script ran");
  step("markup rendered as text");
  await shoot(page, "data");

  // Add, edit, delete.
  await page.click("#add-document");
  await page.fill("#editor-text", '{"author": "dashboard", "body": "added here", "n": {"$integer": "BwAAAAAAAAA="}}');
  await page.click("#editor-save");
  await row(page, "added here").waitFor();
  check((await row(page, "added here").textContent()).includes("7n"), "int64 not kept");
  step("added a document");
  await row(page, "added here").locator("button.edit").click();
  const text = await page.inputValue("#editor-text");
  await page.fill("#editor-text", text.replace("added here", "edited here"));
  await page.click("#editor-save");
  await row(page, "edited here").waitFor();
  await row(page, "added here").waitFor({ state: "detached" });
  step("edited a document");
  await row(page, "edited here").locator("input[type=checkbox]").check();
  await row(page, "live write").locator("input[type=checkbox]").check();
  await page.locator("#delete-selected", { hasText: "(2)" }).click();
  await page.locator(".confirm", { hasText: "Delete 2 documents of messages?" }).waitFor();
  check((await page.locator("#documents tbody tr").count()) === 5, "deleted before confirming");
  await page.click("#confirm-yes");
  await row(page, "edited here").waitFor({ state: "detached" });
  await row(page, "live write").waitFor({ state: "detached" });
  await page.locator("#table-size", { hasText: "3 documents" }).waitFor();
  step("deleted selected documents");

  // Settings: pause and resume, with the banner; an environment variable.
  await page.click("#nav-settings");
  const banner = page.locator("#paused-banner");
  check(await banner.isHidden(), "banner shown while running");
  await page.click("#pause:not([disabled])");
  await banner.waitFor({ state: "visible" });
  const refused = await send("http", "while paused");
  check(refused.status === "error" && /paused/.test(refused.errorMessage), JSON.stringify(refused));
  await page.click("#resume:not([disabled])");
  await banner.waitFor({ state: "hidden" });
  check((await send("http", "after resume")).status === "success", "not resumed");
  step("paused and resumed");

  await page.fill("#env-name", "DASHBOARD_VAR");
  await page.fill("#env-value", "<b>set from the dashboard</b>");
  await page.click("#env-set");
  await page.locator('#env-rows tr[data-name="DASHBOARD_VAR"]', { hasText: "<b>set from the dashboard</b>" }).waitFor();
  step("set an environment variable");

  // A read-only key sees everything, and every button that would change something is off.
  const reader = await newPage();
  await reader.goto(`${url}/dashboard/#/data/messages`);
  await reader.fill("#admin-key", readOnlyKey);
  await reader.click("#login");
  await reader.click("#nav-data");
  await reader.click('#table-list a[data-table="messages"]');
  await reader.locator("#table-size", { hasText: "4 documents" }).waitFor();
  check(await reader.isDisabled("#add-document"), "add enabled");
  check(await reader.locator("#documents button.edit").first().isDisabled(), "edit enabled");
  await reader.click("#nav-settings");
  await reader.locator('#env-rows tr[data-name="DASHBOARD_VAR"]').waitFor();
  check(await reader.isDisabled("#pause") && await reader.isDisabled("#resume"), "pause enabled");
  check(await reader.isDisabled("#env-set"), "env set enabled");
  step("a read-only key changes nothing");

  // Every page in the sidebar, for both keys, settles without showing an error.
  for (const viewer of [page, reader]) {
    const names = await viewer.locator("nav a").evaluateAll((links) => links.map((a) => a.id));
    for (const id of names) {
      await viewer.click(`#${id}`);
      await viewer.locator(`#${id}.active`).waitFor();
      await viewer.waitForTimeout(300);
      const shown = await viewer.locator("main .error").evaluateAll((nodes) =>
        nodes.filter((n) => n.offsetParent !== null && n.textContent.trim()).map((n) => n.textContent));
      check(shown.length === 0, `${id} shows an error: ${shown.join(" | ")}`);
    }
  }
  step("every page opens without an error");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
