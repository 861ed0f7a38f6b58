// What every dashboard browser script shares: Debian's Chromium through playwright-core,
// pages that record console errors and any request leaving 127.0.0.1, one JSON line per
// step passed on stdout, screenshots when DASHBOARD_SCREENSHOTS names a directory, and
// `run`, which reports a failure as `{"error": ...}` and exits 1.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.DASHBOARD_SCREENSHOTS;

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

export const step = (name) => emit({ step: name });

export function check(ok, what) {
  if (!ok) throw new Error(what);
}

// Photographs the page as docs/dashboard.md's `<name>.png`.
export async function shoot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

export class Browser {
  constructor(browser) {
    this.browser = browser;
    this.problems = [];
    this.expected401s = 0; // refusals a step provokes on purpose (Chromium logs each one)
    this.expectedErrors = []; // patterns of other console errors a step provokes, once each
  }

  // The next console error matching `pattern` is a step's doing, not a problem.
  expectError(pattern) {
    this.expectedErrors.push(pattern);
  }

  // A fresh context (its own sessionStorage) with one page, watched for problems.
  async newPage() {
    const context = await this.browser.newContext({ viewport: { width: 1200, height: 700 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    const local = (address) => new URL(address).hostname === "127.0.0.1";
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = msg.text();
      const expected = this.expectedErrors.findIndex((pattern) => pattern.test(text));
      if (expected >= 0) this.expectedErrors.splice(expected, 1);
      else if (this.expected401s > 0 && text.includes("status of 401")) this.expected401s -= 1;
      else this.problems.push(`console error: ${text}`);
    });
    page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      const address = request.url();
      if (!address.startsWith("data:") && !local(address)) {
        this.problems.push(`request left the machine: ${address}`);
      }
    });
    page.on("websocket", (ws) => {
      if (!local(ws.url())) this.problems.push(`WebSocket left the machine: ${ws.url()}`);
    });
    return page;
  }

  // A page logged in with `key` (pasted on the login form), showing `hash` (e.g. "#/files").
  async loggedIn(url, key, hash = "#/health") {
    const page = await this.newPage();
    await page.goto(`${url}/dashboard/${hash}`);
    await page.fill("#admin-key", key);
    await page.click("#login");
    await page.locator("nav").waitFor();
    return page;
  }

  // Fails if any page had a console error or a request outside 127.0.0.1.
  checkNoProblems() {
    const unmet = this.expectedErrors.map((pattern) => `expected console error not seen: ${pattern}`);
    check(this.problems.length === 0 && this.expected401s === 0 && unmet.length === 0,
      [...this.problems, ...unmet].join("\n"));
  }
}

// Runs `steps(browser)` in a launched Chromium; a failure is printed and exits 1.
export async function run(steps) {
  const launched = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const browser = new Browser(launched);
  try {
    await steps(browser);
    await launched.close();
  } catch (error) {
    emit({ error: String(error?.stack ?? error), problems: browser.problems });
    await launched.close();
    process.exit(1);
  }
}
