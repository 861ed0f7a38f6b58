// The Files and Schedules pages with the component select, against component_lifecycle
// (a file and a finished job in its `vault` component, a file and a pending job in the app).
// Usage: node component_files_browser.mjs <deployment url> <admin key> <vault file> <app file>
import { check, run, step } from "./browser_harness.mjs";

const [url, adminKey, vaultFile, appFile] = process.argv.slice(2);

const ids = async (page, table) =>
  page.locator(`#${table} tbody tr`).evaluateAll((rows) => rows.map((r) => r.dataset.id));

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/files");
  await page.locator(`#files tr[data-id="${appFile}"]`).waitFor();
  check((await ids(page, "files")).join() === appFile, "the app lists another's file");
  const vaultOption = page.locator("#component-picker option", { hasText: "vault" });
  await page.selectOption("#component-picker", await vaultOption.getAttribute("value"));
  await page.locator(`#files tr[data-id="${vaultFile}"]`).waitFor();
  check((await ids(page, "files")).join() === vaultFile, "the component lists another's file");
  step("the app's files, then the component's");

  await page.setInputFiles("#upload-input",
    { name: "more.txt", mimeType: "text/plain", buffer: Buffer.from("more") });
  const uploaded = await page.locator("#upload-status .uploaded-id").textContent();
  await page.locator(`#files tr[data-id="${uploaded}"]`).waitFor();
  await page.locator("#file-count", { hasText: "2 files" }).waitFor();
  step("uploaded a file into the component");

  await page.click("#nav-schedules");
  await page.locator("#scheduled-jobs tbody tr td:first-child", { hasText: "app:own" }).waitFor();
  await page.selectOption("#component-picker", await vaultOption.getAttribute("value"));
  await page.locator("#no-jobs").waitFor();
  await page.click("#tab-crons");
  await page.locator("#no-crons").waitFor();
  check(await page.inputValue("#component-picker") === await vaultOption.getAttribute("value"),
    "switching tabs forgot the component");
  step("each side's scheduled functions");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
