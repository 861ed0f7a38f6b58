// Subscribes to one system query as the dashboard does: the npm `convex` ConvexClient over the
// WebSocket, authenticated with `setAdminAuth(adminKey)`.
// Usage: node dashboard_watch.mjs <deployment url> <admin key> <path> <args JSON>
// Prints {watching} once subscribed, then one JSON line per result ({ok, value} in Convex JSON,
// or {ok: false, message}); exits when stdin closes.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const { convexToJson, jsonToConvex } = require("convex/values");
const WebSocket = require("ws");

const [url, adminKey, path, args] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
client.setAdminAuth(adminKey);
client.onUpdate(
  path,
  jsonToConvex(JSON.parse(args)),
  (value) => emit({ ok: true, value: convexToJson(value) }),
  (error) => emit({ ok: false, message: error.message }),
);
emit({ watching: path });
process.stdin.resume();
process.stdin.on("end", async () => {
  await client.close();
  process.exit(0);
});
