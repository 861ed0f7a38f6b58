// Calls one action over the WebSocket sync protocol with the npm `convex` ConvexClient.
// Usage: node ws_action.mjs <deployment url> <path> <args JSON>; prints {ok, value} or
// {ok: false, message, data} as one JSON line.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const { ConvexError, convexToJson, jsonToConvex } = require("convex/values");
const WebSocket = require("ws");

const [url, path, args] = process.argv.slice(2);
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
try {
  const value = await client.action(path, jsonToConvex(JSON.parse(args)));
  console.log(JSON.stringify({ ok: true, value: convexToJson(value ?? null) }));
} catch (error) {
  const data = error instanceof ConvexError ? convexToJson(error.data) : undefined;
  console.log(JSON.stringify({ ok: false, message: error.message, data }));
}
await client.close();
