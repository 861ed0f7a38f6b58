// The dashboard's shell: login, the sidebar, the paused banner, and a hash router
// (`#/<page>/<params…>`, e.g. `#/data/<table>`) loading and mounting one page at a time.
// A page module exports `mount(container, session, params)` returning its cleanup.

import { h, replace } from "./dom.js";
import { Session, checkKey, redeemToken, storedKey, errorText } from "./session.js";
// The sidebar, in order: a page's route name, its title, and how to load its module. Pages
// load when first opened, so the first page shows without fetching every other one.
const PAGE_LIST = [
  ["health", "Health", () => import("./pages/health.js")],
  ["data", "Data", () => import("./pages/data.js")],
  ["schema", "Schema", () => import("./pages/schema.js")],
  ["functions", "Functions", () => import("./pages/functions.js")],
  ["files", "Files", () => import("./pages/files.js")],
  ["schedules", "Schedules", () => import("./pages/schedules.js")],
  ["logs", "Logs", () => import("./pages/logs.js")],
  ["history", "History", () => import("./pages/history.js")],
  ["settings", "Settings", () => import("./pages/settings.js")],
];
const PAGES = Object.fromEntries(PAGE_LIST.map(([name, , load]) => [name, load]));
const TITLES = Object.fromEntries(PAGE_LIST.map(([name, title]) => [name, title]));
const root = document.getElementById("root");

async function start() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token !== null) {
    history.replaceState(null, "", `${location.pathname}${location.search}#/health`);
    try {
      return await signIn(await redeemToken(token));
    } catch (error) {
      return showLogin(errorText(error));
    }
  }
  const key = storedKey();
  if (key !== null) {
    try {
      return await signIn(key);
    } catch {
      // a key that no longer works: ask again
    }
  }
  showLogin();
}

async function signIn(key) {
  const info = await checkKey(key);
  Session.save(key);
  showDashboard(new Session(key, info));
}

function showLogin(message) {
  const input = h("input", {
    type: "password", id: "admin-key", autocomplete: "off", placeholder: "Admin key",
  });
  const status = h("p", { className: "error", id: "login-error" }, message ?? "");
  const submit = async (event) => {
    event.preventDefault();
    replace(status, "");
    try {
      await signIn(input.value.trim());
    } catch (error) {
      replace(status, errorText(error));
    }
  };
  replace(
    root,
    h("form", { className: "login", onsubmit: submit },
      h("h1", {}, "convexlite dashboard"),
      h("p", { className: "muted" },
        "Paste the deployment's admin key (printed by `convexlite serve` on first start, or ",
        "`convexlite generate-key`), or open the login link the server printed."),
      input,
      h("button", { className: "primary", type: "submit", id: "login" }, "Log in"),
      status),
  );
  input.focus();
}

function showDashboard(session) {
  const links = Object.keys(PAGES).map((name) =>
    h("a", { href: `#/${name}`, id: `nav-${name}` }, TITLES[name]));
  const banner = h("div", { className: "banner", id: "paused-banner", hidden: true },
    "This deployment is paused: functions do not run. Resume it in Settings.");
  const content = h("div", { id: "page" });
  const logout = async () => {
    window.onhashchange = null;
    shown += 1;
    cleanup();
    await session.close();
    location.hash = "";
    showLogin();
  };
  replace(
    root,
    h("div", { className: "layout" },
      h("nav", {}, h("div", { className: "brand" }, "convexlite"), links,
        h("button", { onclick: logout, id: "logout" }, "Log out")),
      h("main", {}, banner, content)),
  );
  session.watch("_system/frontend/deploymentState:deploymentState", {}, (value) => {
    banner.hidden = value?.state !== "paused";
  }, (error) => console.warn(error));

  let cleanup = () => {};
  let shown = 0; // the latest route; a page that loads after another was picked is dropped
  const route = async () => {
    const [name = "health", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    const page = PAGES[name] ? name : "health";
    for (const link of links) link.classList.toggle("active", link.id === `nav-${page}`);
    cleanup();
    cleanup = () => {};
    replace(content);
    document.title = `${TITLES[page]} · convexlite`;
    const mine = ++shown;
    let module;
    try {
      module = await PAGES[page]();
    } catch (error) {
      if (mine === shown) replace(content, h("p", { className: "error" }, errorText(error)));
      return;
    }
    if (mine !== shown) return;
    cleanup = module.mount(content, session, rest.map(decodeURIComponent)) ?? (() => {});
  };
  window.onhashchange = route;
  route();
}

start();
