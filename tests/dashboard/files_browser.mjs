// The Files page in a real headless Chromium against a served deployment. Usage:
//   node files_browser.mjs <deployment url> <admin key> <read-only key>
import { crc32, deflateSync } from "node:zlib";
import { check, run, shoot, step } from "./browser_harness.mjs";

const [url, adminKey, readOnlyKey] = process.argv.slice(2);

const TEXT = "<b>not bold</b> & <script>window.__xss = 1</script>\n";
const [WIDTH, HEIGHT] = [160, 90];

// A WIDTHxHEIGHT PNG, a colour gradient.
function png() {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([head, Buffer.from(type), data, tail]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(WIDTH, 0);
  header.writeUInt32BE(HEIGHT, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < HEIGHT; y += 1) {
    rows.push(0);
    for (let x = 0; x < WIDTH; x += 1) rows.push(43 + x, 95 + y, 217 - x / 2);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0))]);
}

// Another client's upload: an upload URL from the app's mutation, then a POST.
async function uploadElsewhere(bytes, type) {
  const answer = await (await fetch(`${url}/api/mutation`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path: "files:uploadUrl", args: {}, format: "json" }),
  })).json();
  const posted = await fetch(answer.value, {
    method: "POST", headers: { "Content-Type": type }, body: bytes,
  });
  return (await posted.json()).storageId;
}

const row = (page, id) => page.locator(`#files tbody tr[data-id="${id}"]`);

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/files");
  await page.locator("#file-count", { hasText: "0 files" }).waitFor();
  await page.locator("#no-files").waitFor();

  await page.setInputFiles("#upload-input", [
    { name: "note.txt", mimeType: "text/plain", buffer: Buffer.from(TEXT) },
    { name: "gradient.png", mimeType: "image/png", buffer: png() },
  ]);
  const links = page.locator("#upload-status .uploaded-id");
  await links.nth(1).waitFor();
  const [textId, imageId] = await links.allTextContents();
  await row(page, imageId).waitFor();
  await page.locator("#file-count", { hasText: "2 files" }).waitFor();
  const cells = await row(page, textId).locator("td").allTextContents();
  check(cells[2] === `${Buffer.byteLength(TEXT)} B` && cells[3] === "text/plain", cells.join("|"));
  step("uploaded two files from the browser");

  const href = await row(page, textId).locator("a.download").getAttribute("href");
  check(new URL(href).origin === url, `a download link elsewhere: ${href}`);
  const downloaded = await (await fetch(href)).text();
  check(downloaded === TEXT, `downloaded ${JSON.stringify(downloaded)}`);
  step("downloaded the same bytes");

  await row(page, textId).locator("button.preview").click();
  await page.locator("#preview-text").waitFor();
  check((await page.textContent("#preview-text")) === TEXT, "the text preview differs");
  check((await page.locator("#file-preview b, #file-preview script").count()) === 0,
    "markup in the preview was rendered");
  check(await page.evaluate(() => window.__xss === undefined), "a script ran");
  check(page.url().endsWith(`#/files/${textId}`), `no deep link in ${page.url()}`);
  step("previewed a text file as text");

  await links.nth(1).click();
  const image = page.locator("#preview-image");
  await image.waitFor();
  await page.waitForFunction(() => document.querySelector("#preview-image")?.complete);
  check(await image.evaluate((img) => img.naturalWidth) === WIDTH, "the image did not load");
  step("previewed an image");

  await page.evaluate(() => (window.__notReloaded = true));
  const otherId = await uploadElsewhere(Buffer.from("\x00\x01binary"), "application/octet-stream");
  await row(page, otherId).waitFor();
  await page.locator("#file-count", { hasText: "3 files" }).waitFor();
  check(await page.evaluate(() => window.__notReloaded === true), "the page reloaded");
  await shoot(page, "files");
  step("saw another client's upload live");

  const linked = await browser.loggedIn(url, adminKey, `#/files/${otherId}`);
  await linked.locator("#preview-none", { hasText: "application/octet-stream" }).waitFor();
  await linked.click("#preview-close");
  check((await linked.locator("#file-preview").count()) === 0, "the preview stayed open");
  await linked.close();
  step("opened a file by its link");

  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await page.fill("#files-from", tomorrow);
  await page.locator("#no-files").waitFor();
  await page.fill("#files-from", "");
  await page.locator("#files tbody tr").nth(2).waitFor();
  await page.selectOption("#files-order", "asc");
  await page.locator(`#files tbody tr:first-child[data-id="${textId}"]`).waitFor();
  step("filtered by date");

  for (const id of [textId, imageId]) await row(page, id).locator("input[type=checkbox]").check();
  await page.locator("#delete-files", { hasText: "Delete selected (2)" }).click();
  await page.click("#confirm-yes");
  await row(page, textId).waitFor({ state: "detached" });
  await row(page, imageId).waitFor({ state: "detached" });
  await page.locator("#file-count", { hasText: "1 file" }).waitFor();
  check((await fetch(href)).status === 404, "the deleted file is still served");
  step("deleted the selected files");

  for (let i = 0; i < 20; i += 1) await uploadElsewhere(Buffer.from(`file ${i}`), "text/plain");
  await page.locator("#file-count", { hasText: "21 files" }).waitFor();
  await page.selectOption("#files-order", "desc");
  await page.click("#files-more");
  await row(page, otherId).waitFor();
  check((await page.locator("#files tbody tr").count()) === 21, "Load more did not load the rest");
  step("loaded more");

  const reader = await browser.loggedIn(url, readOnlyKey, "#/files");
  const first = reader.locator("#files tbody tr").first();
  await first.waitFor();
  check(await reader.isDisabled("#upload"), "upload is enabled");
  check(await reader.isDisabled("#delete-files"), "delete is enabled");
  check(await first.locator("input[type=checkbox]").isDisabled(), "a checkbox is enabled");
  step("a read-only key changes nothing");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
