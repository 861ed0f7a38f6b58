// Drives the Data and Schema pages in a real headless Chromium against a served deployment
// (test_dashboard_data.py's app: authors, books holding an author's id, a by_year index,
// and a scratch table). Usage:
//   node data_browser.mjs <deployment url> <admin key> <read-only key> <scratch documents>
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, readOnlyKey, scratchDocuments] = process.argv.slice(2);

// A call over HTTP, as another client (or, with the admin key, a system function).
async function call(kind, path, args, key) {
  const response = await fetch(`${url}/api/${kind}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(key ? { Authorization: `Convex ${key}` } : {}) },
    body: JSON.stringify({ path, args, format: "json" }),
  });
  const body = await response.json();
  check(body.status === "success", JSON.stringify(body));
  return body.value;
}
const books = () => call("query", "books:list", {});
const system = (kind, name, args) => call(kind, `_system/frontend/${name}`, args, adminKey);

async function until(what, condition) {
  for (let tries = 0; tries < 100; tries += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const rows = (page) => page.locator("#documents tbody tr");
const row = (page, text) => rows(page).filter({ hasText: text });
const rowCount = (page, n) => page.waitForFunction(
  (n) => document.querySelectorAll("#documents tbody tr").length === n, n);

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/data/books");
  await page.locator("#table-size", { hasText: "4 documents" }).waitFor();
  const ada = (await books())[0].author;

  // A filter on a field; writes by another client: the one that matches appears.
  await page.click("#add-filter");
  await page.fill(".filter-clause .filter-field", "title");
  await page.fill(".filter-clause .filter-value", '"Dune"');
  await page.click("#apply-filters");
  await rowCount(page, 1);
  await call("mutation", "books:add", { title: "Middlemarch", author: ada, year: 1871 });
  await call("mutation", "books:add", { title: "Dune", author: ada, year: 2021 });
  await rowCount(page, 2);
  check((await row(page, "Middlemarch").count()) === 0, "a write the filter excludes is shown");
  step("filtered by a field, live");

  check(page.url().includes("filters="), `no filters in ${page.url()}`);
  await page.reload();
  await rowCount(page, 2);
  check((await page.inputValue(".filter-clause .filter-field")) === "title", "the filter is lost");
  await shoot(page, "data-filters");
  step("filters kept in the address");

  await page.fill(".filter-clause .filter-value", '{"$integer": "nope"}');
  await page.click("#apply-filters");
  await page.locator(".filter-clause .filter-error", { hasText: "Invalid value" }).waitFor();
  step("a bad filter value shows its error");

  await page.click("#reset-filters");
  await rowCount(page, 6);
  await page.selectOption("#index-name", "by_year");
  await page.selectOption('.index-field[data-field="year"] .index-mode', "range");
  await page.fill(".index-field .index-lower", "2000");
  await page.click("#apply-filters");
  await rowCount(page, 2);
  check(await row(page, "Anathem").count() === 1 && await row(page, "2021").count() === 1, "wrong range");
  step("filtered by an index");

  // A cell edited in place, checked on the server; Escape cancels.
  await page.click("#reset-filters");
  await rowCount(page, 6);
  const title = row(page, "Emma").locator('td[data-column="title"]');
  await title.dblclick();
  await page.fill("input.cell-editor", '"Emma (edited)"');
  await page.press("input.cell-editor", "Enter");
  await row(page, "Emma (edited)").waitFor();
  check((await books()).some((b) => b.title === "Emma (edited)"), "the edit is not on the server");
  await title.dblclick();
  await page.fill("input.cell-editor", '"cancelled"');
  await page.press("input.cell-editor", "Escape");
  await page.locator("input.cell-editor").waitFor({ state: "detached" });
  check((await books()).some((b) => b.title === "Emma (edited)"), "Escape did not cancel");
  step("edited a cell");

  for (const name of ["Neuromancer", "Anathem"]) await row(page, name).locator("input[type=checkbox]").check();
  await page.locator("#bulk-edit", { hasText: "(2)" }).click();
  await page.fill("#bulk-field", "year");
  await page.fill("#bulk-value", "1999");
  await page.click("#bulk-apply");
  await page.click("#confirm-yes");
  await until("both books are of 1999", async () => {
    const edited = (await books()).filter((b) => ["Neuromancer", "Anathem"].includes(b.title));
    return edited.length === 2 && edited.every((b) => b.year === 1999);
  });
  check((await books()).filter((b) => b.year === 1999).length === 2, "more than 2 edited");
  step("bulk-edited 2 documents");

  const link = row(page, "Middlemarch").locator("a.id-link");
  await link.hover();
  await until("the link previews its document", async () =>
    (await link.getAttribute("title")).includes('"name": "Ada"'));
  await link.click();
  await page.locator("#table-name", { hasText: "authors" }).waitFor();
  await rowCount(page, 1);
  check((await rows(page).textContent()).includes(ada), "not the linked author");
  check(page.url().includes("#/data/authors?filters="), page.url());
  step("an id previews and links to its document");

  await page.click('#table-list a[data-table="books"]');
  await page.click("#table-schema summary");
  await page.locator("#table-validator", { hasText: 'author: v.id("authors")' }).waitFor();
  await page.locator('#table-indexes tr[data-index="by_year"]', { hasText: "ready" }).waitFor();
  await page.click("#add-document");
  const template = JSON.parse(await page.inputValue("#editor-text"));
  check(JSON.stringify(template) === '{"title":"","author":""}', `Add starts from ${JSON.stringify(template)}`);
  await page.click("#editor-cancel");
  step("the table's schema and indexes, and Add starts from it");

  await page.click("#nav-schema");
  await page.locator("#schema-active", { hasText: '.index("by_year", ["year"])' }).waitFor();
  check((await page.textContent("#schema-active")).includes("authors: defineTable({"), "no authors");
  await shoot(page, "schema");
  step("the Schema page");

  await page.click("#nav-data");
  await page.fill("#new-table", "shelves");
  await page.click("#create-table");
  await page.locator("#table-name", { hasText: "shelves" }).waitFor();
  await page.locator('#table-list a[data-table="shelves"].active').waitFor();
  const tables = await system("query", "getTableMapping:default", { componentId: null });
  check(Object.values(tables).includes("shelves"), JSON.stringify(tables));
  step("created a table");

  // Clearing takes two pages of clearTablePage; deleting needs the table's name typed.
  await page.click('#table-list a[data-table="scratch"]');
  await page.locator("#table-size", { hasText: `${scratchDocuments} documents` }).waitFor();
  await page.click("#clear-table");
  await page.click("#confirm-yes");
  await page.locator("#clear-progress", { hasText: `Cleared: deleted ${scratchDocuments} documents.` })
    .waitFor({ timeout: 30000 });
  check(await system("query", "tableSize:default", { tableName: "scratch", componentId: null }) === 0, "not cleared");
  await page.locator("#table-size", { hasText: "0 documents" }).waitFor();
  step("cleared a table");

  await page.click("#delete-table");
  check(await page.isDisabled("#delete-table-confirm"), "deletable without the name");
  await page.fill("#delete-table-name", "scratch");
  await page.click("#delete-table-confirm");
  await page.locator('#table-list a[data-table="scratch"]').waitFor({ state: "detached" });
  await page.locator('#table-list a[data-table="books"]').waitFor();
  const mapping = await system("query", "getTableMapping:default", { componentId: null });
  check(!Object.values(mapping).includes("scratch"), JSON.stringify(mapping));
  step("deleted a table");

  const reader = await browser.loggedIn(url, readOnlyKey, "#/data/books");
  await reader.locator("#table-size", { hasText: "6 documents" }).waitFor();
  for (const control of ["#add-document", "#bulk-edit", "#delete-selected", "#clear-table",
    "#delete-table", "#create-table", "#documents input[type=checkbox]", "#documents button.edit"]) {
    check(await reader.locator(control).first().isDisabled(), `${control} enabled`);
  }
  await row(reader, "Dune").first().locator('td[data-column="title"]').dblclick();
  check(await reader.locator("input.cell-editor").count() === 0, "a cell editor opened");
  step("a read-only key changes nothing");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
