// Settings on a deployment whose `vault` component is unmounted: the component is listed
// as unmounted with a Delete button, which asks first and then deletes it with its data.
// Usage: node component_delete_browser.mjs <deployment url> <admin key>
import { check, run, step } from "./browser_harness.mjs";

const [url, adminKey] = process.argv.slice(2);

async function paths() {
  const response = await fetch(`${url}/api/query`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Convex ${adminKey}` },
    body: JSON.stringify({ path: "_system/frontend/components:list", args: {}, format: "json" }),
  });
  return (await response.json()).value.map((component) => component.path);
}

await run(async (browser) => {
  const page = await browser.loggedIn(url, adminKey, "#/settings");
  const row = page.locator('#components tr[data-path="vault"]');
  await row.locator("td", { hasText: "unmounted" }).waitFor();
  await row.locator("button.component-delete").click();
  await page.locator("#component-confirm", { hasText: "Delete the unmounted component vault" })
    .waitFor();
  await page.click("#component-confirm #confirm-no");
  check((await paths()).includes("vault"), "cancelled, yet deleted");
  step("asked before deleting");

  await row.locator("button.component-delete").click();
  await page.click("#component-confirm #confirm-yes");
  await page.locator("#components", { hasText: "No components" }).waitFor();
  check(JSON.stringify(await paths()) === '[""]', "the component is still listed");
  step("deleted the unmounted component");

  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
