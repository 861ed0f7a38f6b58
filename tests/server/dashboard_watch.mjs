// The dashboard's live Data page with the official `convex` client: ConvexClient with
// setAdminAuth subscribes to `_system/frontend/paginatedTableDocuments` and `tableSize`, then
// a mutation adds a note; prints one JSON line per update, and exits once both show it.
// Usage: node dashboard_watch.mjs <deployment url> <admin key> <filters or "null">
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const WebSocket = require("ws");

const [url, adminKey, filters] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
client.setAdminAuth(adminKey);

let pages = 0;
let sawPage = false;
let sawSize = false;
let size = null;
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));
const check = () => sawPage && sawSize && resolveDone();
const failed = (error) => {
  emit({ error: error.message });
  resolveDone();
};

const pageArgs = {
  table: "notes",
  filters: filters === "null" ? null : filters,
  componentId: null,
  paginationOpts: { numItems: 10, cursor: null, id: 1 },
};
client.onUpdate("_system/frontend/paginatedTableDocuments:default", pageArgs, (result) => {
  const bodies = result.page.map((doc) => doc.body);
  emit({ page: bodies, isDone: result.isDone });
  if (pages++ === 0) {
    client.mutation("notes:add", { author: "live", body: "added while watching" }).catch(failed);
  }
  if (bodies.includes("added while watching")) {
    sawPage = true;
    check();
  }
}, failed);
client.onUpdate("_system/frontend/tableSize:default", { tableName: "notes", componentId: null }, (value) => {
  emit({ size: value });
  if (size !== null && value === size + 1) {
    sawSize = true;
    check();
  }
  size = size ?? value;
}, failed);

const timer = setTimeout(() => failed(new Error("timed out")), 30000);
await done;
clearTimeout(timer);
await client.close();
