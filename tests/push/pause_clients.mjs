// The official ConvexClient over the sync WebSocket, for the pause tests.
// Usage: node pause_clients.mjs <url> call <query|mutation|action> <path> <args JSON>
//   prints {ok, value} or {ok: false, message} for one call (a query as a subscription's first result);
// node pause_clients.mjs <url> admin-watch <admin key> <path> <final JSON>
//   subscribes as an admin and prints every result until one has every field of <final JSON>.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const WebSocket = require("ws");

const [url, mode, ...rest] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });

if (mode === "call") {
  const [kind, path, args] = rest;
  try {
    let value;
    if (kind === "query") {
      value = await new Promise((resolve, reject) => {
        client.onUpdate(path, JSON.parse(args), resolve, reject);
      });
    } else {
      value = await client[kind](path, JSON.parse(args));
    }
    emit({ ok: true, value: value ?? null });
  } catch (error) {
    emit({ ok: false, message: error.message });
  }
} else if (mode === "admin-watch") {
  const [key, path, final] = rest;
  client.setAdminAuth(key);
  const wanted = Object.entries(JSON.parse(final));
  await new Promise((resolve) => {
    client.onUpdate(path, {}, (value) => {
      emit({ ok: true, value });
      if (wanted.every(([k, v]) => JSON.stringify(value?.[k]) === JSON.stringify(v))) resolve();
    }, (error) => {
      emit({ ok: false, message: error.message });
      resolve();
    });
    emit({ watching: path });
  });
}
await client.close();
