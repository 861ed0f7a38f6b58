// Calls a deployment as a signed-in user with the npm `convex` clients.
// Usage: node auth_client.mjs <url> <tokens JSON array>; prints JSON lines:
//  {http: identity or {error}} for ConvexHttpClient.setAuth(tokens[0]) then tokens[1],
//  {ws: identity} for every result of a ConvexClient subscription whose setAuth hands out
//  tokens[0], then tokens[2] when the client asks again (a refresh), until it saw tokens[2]'s user.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");
const WebSocket = require("ws");

const [url, tokensJson] = process.argv.slice(2);
const tokens = JSON.parse(tokensJson);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

for (const token of tokens.slice(0, 2)) {
  const http = new ConvexHttpClient(url);
  http.setAuth(token);
  try {
    emit({ http: await http.query(anyApi.auth.whoami, {}) });
  } catch (error) {
    emit({ http: { error: String(error.message ?? error) } });
  }
}

const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
let handed = 0;
const fetches = [];
client.setAuth(async ({ forceRefreshToken }) => {
  fetches.push(forceRefreshToken);
  return handed++ === 0 ? tokens[0] : tokens[2];
});
await new Promise((resolve) => {
  client.onUpdate(anyApi.auth.whoami, {}, (identity) => {
    emit({ ws: identity });
    if (identity && identity.subject === "second") resolve();
  });
});
emit({ fetches });
await client.close();
