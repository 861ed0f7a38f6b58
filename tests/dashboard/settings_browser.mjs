// Drives the Settings page in headless Chromium: environment variables edited, renamed,
// deleted and pasted; an admin key minted; auth providers, components, storage and
// retention; a snapshot exported, downloaded and imported back; a read-only key. Usage:
//   node settings_browser.mjs <deployment url> <admin key> <read-only key> <scratch dir>
import { inflateRawSync } from "node:zlib";
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, readOnlyKey, scratch] = process.argv.slice(2);

async function http(method, path, body, key = adminKey) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Convex ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const call = async (kind, path, args = {}) => {
  const { body } = await http("POST", `/api/${kind}`, { path, args, format: "json" });
  check(body.status === "success", JSON.stringify(body));
  return body.value;
};

const variables = async () =>
  (await http("GET", "/api/v1/list_environment_variables")).body.environmentVariables;

// The entries of a ZIP file, {name: text}, read from its central directory.
function unzip(buffer) {
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  check(end >= 0, "not a ZIP: no end of central directory");
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  const entries = {};
  for (let i = 0; i < count; i += 1) {
    check(buffer.readUInt32LE(at) === 0x02014b50, "bad central directory entry");
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extra = buffer.readUInt16LE(at + 30) + buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString("utf8", at + 46, at + 46 + nameLength);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + size);
    entries[name] = (method === 8 ? inflateRawSync(data) : data).toString("utf8");
    at += 46 + nameLength + extra;
  }
  return entries;
}

const envRow = (page, name) => page.locator(`#env-rows tr[data-name="${name}"]`);

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/settings");
  await page.locator("#deployment-state", { hasText: "running" }).waitFor();

  // Environment variables: edit, rename and delete in one save (confirmed), two pasted.
  await envRow(page, "THIRD_VAR").waitFor();
  await envRow(page, "FIRST_VAR").locator(".env-edit").click();
  await envRow(page, "FIRST_VAR").locator(".env-edit-value").fill("uno");
  await envRow(page, "SECOND_VAR").locator(".env-edit").click();
  await envRow(page, "SECOND_VAR").locator(".env-edit-name").fill("RENAMED_VAR");
  await envRow(page, "THIRD_VAR").locator(".env-delete").click();
  await page.locator("#env-name").evaluate((input) => {
    const data = new DataTransfer();
    data.setData("text/plain", "# pasted\nPASTED_A=a\nexport PASTED_B=\"b b\"\n");
    input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
  });
  check(await page.inputValue("#env-name") === "PASTED_A", "the paste filled no row");
  check(await page.locator(".env-new-row").count() === 2, "not a row per pasted line");
  await page.click("#env-set");
  await page.locator("#confirm-dialog", { hasText: "SECOND_VAR, THIRD_VAR" }).waitFor();
  await page.click("#confirm-ok");
  await envRow(page, "RENAMED_VAR").waitFor();
  await envRow(page, "THIRD_VAR").waitFor({ state: "detached" });
  await envRow(page, "FIRST_VAR").locator("td", { hasText: "uno" }).waitFor();
  check(await page.inputValue("#env-name") === "", "the new rows were not reset");
  const listed = await variables();
  check(JSON.stringify(listed) === JSON.stringify(
    { FIRST_VAR: "uno", PASTED_A: "a", PASTED_B: "b b", RENAMED_VAR: "two" }),
  `the server lists ${JSON.stringify(listed)}`);
  await http("POST", "/api/update_environment_variables",
    { changes: [{ name: "FROM_ELSEWHERE", value: "live" }] });
  await envRow(page, "FROM_ELSEWHERE").waitFor();
  step("environment variables edited, renamed, deleted and pasted");

  // Deleting needs a confirmation; canceling it changes nothing.
  await envRow(page, "FROM_ELSEWHERE").locator(".env-delete").click();
  await page.click("#env-set");
  await page.click("#confirm-cancel");
  await envRow(page, "FROM_ELSEWHERE").locator(".env-undo").click();
  check("FROM_ELSEWHERE" in await variables(), "deleted without confirmation");
  await page.fill("#env-name", "FIRST_VAR");
  await page.click("#env-set");
  await page.locator("#settings-error", { hasText: "FIRST_VAR is set twice" }).waitFor();
  await page.fill("#env-name", "");
  check((await variables()).FIRST_VAR === "uno", "a duplicate name was saved");
  step("a deletion waits for its confirmation, a duplicate name is refused");

  await page.click("#mint-key");
  const minted = await page.inputValue("#minted-key");
  check(minted !== adminKey && minted.startsWith(adminKey.split("|")[0] + "|"), minted);
  const checked = await fetch(`${url}/api/check_admin_key`,
    { headers: { Authorization: `Convex ${minted}` } });
  check(checked.ok && !(await checked.json()).isReadOnly, "the minted key does not work");
  await page.locator("#settings-site-url", { hasText: "http://127.0.0.1:" }).waitFor();
  step("minted an admin key that works");

  await page.locator("#auth-providers", { hasText: "https://issuer.example.com" }).waitFor();
  await page.locator("#auth-providers", { hasText: "dashboard-test" }).waitFor();
  await page.locator("#components", { hasText: "No components" }).waitFor();
  step("auth providers and components listed");

  await page.locator("#storage-documents", { hasText: "3" }).waitFor();
  await page.locator('#storage-table-counts tr[data-table="messages"]', { hasText: "3" }).waitFor();
  await page.locator("#storage-files", { hasText: "0" }).waitFor();
  await page.locator("#retention-delay", { hasText: "2 days" }).waitFor();
  await page.locator("#retention-last-pass").filter({ hasNotText: "…" }).waitFor();
  await call("mutation", "messages:send", { body: "fourth" });
  await page.locator("#storage-documents", { hasText: "4" }).waitFor();
  await page.locator("#minted").evaluate((node) => node.replaceChildren()); // no key on screen
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, "settings");
  step("storage and retention shown, counts live");

  // Export: requested, followed to completed, downloaded with the key in a header.
  await page.click("#settings-tab-snapshots");
  await page.click("#export-request:not([disabled])");
  await page.locator('#export-state[data-state="completed"]').waitFor({ timeout: 30000 });
  await page.locator('#export-progress li[data-state="completed"]').waitFor();
  await page.locator("#export-tables", { hasText: "messages: 4" }).waitFor();
  const [download] = await Promise.all([page.waitForEvent("download"),
    page.click("#export-download")]);
  const zipPath = `${scratch}/${download.suggestedFilename()}`;
  await download.saveAs(zipPath);
  const { readFileSync } = await import("node:fs");
  const entries = unzip(readFileSync(zipPath));
  const documents = entries["messages/documents.jsonl"].trim().split("\n").map((l) => JSON.parse(l));
  check(documents.length === 4 && documents.some((d) => d.body === "fourth"),
    `the ZIP holds ${Object.keys(entries)}`);
  step("exported, followed and downloaded a valid ZIP");

  // Import it back in replace mode after deleting the documents.
  const before = await call("query", "messages:list");
  await call("mutation", "messages:clear");
  check((await call("query", "messages:list")).length === 0, "not cleared");
  await page.click("#import-upload");
  await page.locator("#settings-error", { hasText: "Choose a snapshot ZIP" }).waitFor();
  await page.selectOption("#import-mode", "replace");
  await page.setInputFiles("#import-file", zipPath);
  await page.click("#import-upload");
  const waiting = page.locator('.import[data-state="waiting_for_confirmation"]');
  await waiting.locator(".import-summary", { hasText: "messages" }).waitFor({ timeout: 30000 });
  await shoot(page, "settings-snapshots");
  await waiting.locator(".import-confirm").click();
  await page.locator('.import[data-state="completed"]', { hasText: "Imported 4 documents" })
    .waitFor({ timeout: 30000 });
  const after = await call("query", "messages:list");
  check(JSON.stringify(after) === JSON.stringify(before), `after import: ${JSON.stringify(after)}`);
  step("imported the ZIP back after a confirmation");

  // Into tables that are not empty, "only into empty tables" fails, and says why.
  await page.selectOption("#import-mode", "requireEmpty");
  await page.setInputFiles("#import-file", zipPath);
  await page.click("#import-upload");
  await page.locator('.import[data-state="failed"] .error').first().waitFor({ timeout: 30000 });
  step("a refused import shows its error");

  const reader = await browser.loggedIn(url, readOnlyKey, "#/settings");
  await envRow(reader, "FIRST_VAR").waitFor();
  for (const id of ["#mint-key", "#env-set", "#env-add-row"]) {
    check(await reader.isDisabled(id), `${id} enabled for a read-only key`);
  }
  check(await envRow(reader, "FIRST_VAR").locator(".env-edit").isDisabled(), "edit enabled");
  check(await envRow(reader, "FIRST_VAR").locator(".env-delete").isDisabled(), "delete enabled");
  await reader.click("#settings-tab-snapshots");
  await reader.locator('#export-state[data-state="completed"]').waitFor();
  for (const id of ["#export-request", "#import-upload", "#import-file"]) {
    check(await reader.isDisabled(id), `${id} enabled for a read-only key`);
  }
  check(await reader.locator(".import-cancel, .import-confirm").count() === 0
    || await reader.locator(".import-confirm").first().isDisabled(), "confirm enabled");
  step("a read-only key changes nothing");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
