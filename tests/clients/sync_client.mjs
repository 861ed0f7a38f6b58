// Drives the npm `convex` ConvexClient against a convexlite server over the sync WebSocket.
// Usage: node sync_client.mjs <deployment url> <scenario>; prints one JSON object per line.
// `convex` is resolved from CONVEX_NPM_DIR (a directory with node_modules/convex and ws).
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient } = require("convex/browser");
const { ConvexError } = require("convex/values");
const WebSocket = require("ws");

const [url, scenario] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const client = () => new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });

function watch(c, path, args) {
  const seen = [];
  let waiters = [];
  c.onUpdate(path, args, (value) => {
    seen.push(value);
    waiters = waiters.filter(([pred, resolve]) => (pred(value) ? (resolve(value), false) : true));
  });
  const until = (pred) =>
    new Promise((resolve) => {
      if (seen.length && pred(seen[seen.length - 1])) resolve(seen[seen.length - 1]);
      else waiters.push([pred, resolve]);
    });
  return { seen, until };
}

async function updates() {
  const reader = client();
  const writer = client();
  const watched = watch(reader, "messages:list", { channel: "updates" });
  await watched.until((v) => Array.isArray(v));
  for (let i = 0; i < 5; i++) {
    await writer.mutation("messages:send", { channel: "updates", body: `m${i}` });
    await watched.until((v) => v.length === i + 1);
  }
  for (let i = 5; i < 25; i++) {
    void writer.mutation("messages:send", { channel: "updates", body: `m${i}` });
  }
  await watched.until((v) => v.length === 25);
  emit({ seen: watched.seen.map((v) => v.map((m) => m.body)) });
  await reader.close();
  await writer.close();
}

async function readYourWrites() {
  const c = client();
  const watched = watch(c, "messages:list", { channel: "ryw" });
  await watched.until((v) => Array.isArray(v));
  const visible = [];
  for (let i = 0; i < 10; i++) {
    await c.mutation("messages:send", { channel: "ryw", body: `w${i}` });
    const latest = watched.seen[watched.seen.length - 1];
    visible.push(latest.some((m) => m.body === `w${i}`));
  }
  emit({ visible });
  await c.close();
}

async function convexError() {
  const c = client();
  try {
    await c.mutation("messages:send", { channel: "errors", body: "" });
    emit({ thrown: false });
  } catch (err) {
    emit({ thrown: true, isConvexError: err instanceof ConvexError, data: err.data ?? null,
           message: String(err.message) });
  }
  try {
    await c.query("messages:missing", {});
  } catch (err) {
    emit({ missing: String(err.message) });
  }
  await c.close();
}

async function reconnect() {
  const c = client();
  const watched = watch(c, "messages:list", { channel: "reconnect" });
  await watched.until((v) => Array.isArray(v));
  emit({ ready: true });
  const result = await c.mutation("messages:slowSend", { channel: "reconnect", body: "once" });
  await c.mutation("messages:send", { channel: "reconnect", body: "after" });
  const final = await watched.until((v) => v.some((m) => m.body === "after"));
  emit({ result, final: final.map((m) => m.body) });
  await c.close();
}

const scenarios = { updates, readYourWrites, convexError, reconnect };
try {
  await scenarios[scenario]();
  process.exit(0);
} catch (err) {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
}
