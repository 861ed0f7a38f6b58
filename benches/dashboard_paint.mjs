// The browser side of bench_dashboard.py: Debian's Chromium (playwright-core) opening the
// built-in dashboard's Data page on tables, the admin key already in sessionStorage as
// after a login. Prints one JSON line per measurement. Usage:
//   node dashboard_paint.mjs <url> <admin key> <table[,table…]> <repeats> <browse seconds>
// Cold loads alternate between the tables, so warming up and drift hit them alike; the
// idle and browsing phases use the first table.
import { createRequire } from "node:module";

const require = createRequire(process.env.CONVEX_NPM_DIR + "/");
const { chromium } = require("playwright-core");

const [url, key, tableList, repeats, browseSeconds] = process.argv.slice(2);
const tables = tableList.split(",");
const table = tables[0];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

async function signedIn() {
  const context = await browser.newContext({ viewport: { width: 1200, height: 700 } });
  await context.addInitScript((k) => sessionStorage.setItem("convexlite.adminKey", k), key);
  const page = await context.newPage();
  page.setDefaultTimeout(120000);
  return page;
}

// Cold loads: navigation start to the first document row, and the browser's own first
// contentful paint (the shell), each in a fresh context (no cache, a new WebSocket).
for (let i = 0; i < Number(repeats); i++) {
  for (const loaded of tables) {
    const page = await signedIn();
    const started = Date.now();
    await page.goto(`${url}/dashboard/#/data/${loaded}`);
    await page.locator("#documents tbody tr").first().waitFor();
    const firstRow = Date.now() - started;
    const fcp = await page.evaluate(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
    emit({ kind: "load", table: loaded, firstRowMs: firstRow, fcpMs: fcp });
    await page.context().close();
  }
}

// Open and idle, then browsing: the order both ways, the next pages, the table size.
const page = await signedIn();
await page.goto(`${url}/dashboard/#/data/${table}`);
await page.locator("#documents tbody tr").first().waitFor();
emit({ kind: "open" });
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.pause();
const deadline = Date.now() + Number(browseSeconds) * 1000;
let actions = 0;
while (Date.now() < deadline) {
  await page.selectOption("#order", actions % 2 ? "desc" : "asc");
  await page.locator("#documents tbody tr").first().waitFor();
  const more = page.locator("#load-more");
  if (await more.isVisible()) await more.click();
  actions += 1;
}
emit({ kind: "browsed", actions });
await browser.close();
