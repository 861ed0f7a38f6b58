// The Data and Schema pages on a component (tests/push/projects/component_lifecycle's
// `vault`, holding one note): the picker, the component's tables, a cell edit inside it,
// its schema. Usage: node data_components_browser.mjs <deployment url> <admin key>
import { check, run, step } from "./browser_harness.mjs";

const [url, adminKey] = process.argv.slice(2);

async function notes() {
  const response = await fetch(`${url}/api/query`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path: "app:list", args: {}, format: "json" }),
  });
  return (await response.json()).value.notes;
}

const chooseVault = async (page) => {
  const picker = page.locator("#component-picker");
  await picker.locator("option", { hasText: "vault" }).waitFor({ state: "attached" });
  await picker.selectOption({ label: "vault" });
};

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/data");
  await chooseVault(page);
  await page.click('#table-list a[data-table="notes"]');
  await page.locator("#table-size", { hasText: "1 document" }).waitFor();
  check(page.url().includes("component="), page.url());
  await page.locator("#documents tbody tr", { hasText: "in the vault" }).waitFor();
  step("browsed a component's table");

  await page.locator('#documents td[data-column="text"]').dblclick();
  await page.fill("input.cell-editor", '"edited in the vault"');
  await page.press("input.cell-editor", "Enter");
  await page.locator("#documents tbody tr", { hasText: "edited in the vault" }).waitFor();
  check((await notes())[0].text === "edited in the vault", "not edited in the component");
  step("edited a cell in a component");

  await page.click("#table-schema summary");
  await page.locator("#table-validator", { hasText: 'file: v.id("_storage")' }).waitFor();
  await page.locator('#table-indexes tr[data-index="by_text"]', { hasText: "ready" }).waitFor();
  await page.click("#nav-schema");
  await chooseVault(page);
  await page.locator("#schema-active", { hasText: "notes: defineTable({" }).waitFor();
  step("a component's schema");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
