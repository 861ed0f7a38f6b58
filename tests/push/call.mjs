// Calls functions of a deployment with the npm `convex` ConvexHttpClient, or watches one query
// with ConvexClient over the WebSocket.
// Usage: node call.mjs <deployment url> <calls JSON>, calls = [{kind, path, args}] where kind is
// query | mutation | action; prints one JSON line per call: {ok, value} or {ok: false, message, data}.
// Values are printed in Convex JSON (convexToJson) so int64 and bytes can be compared exactly.
// `node call.mjs <url> watch <path> <args JSON> <n>` prints the first n results of a subscription.
// `node call.mjs <url> watch-until <path> <args JSON> <final JSON>` prints every result until one
// has every field of the object <final JSON> (compared as Convex JSON), then exits.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexHttpClient, ConvexClient } = require("convex/browser");
const { ConvexError, convexToJson, jsonToConvex } = require("convex/values");
const WebSocket = require("ws");

const [url, mode, ...rest] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

if (mode === "watch") {
  const [path, args, n] = rest;
  const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
  let seen = 0;
  await new Promise((resolve) => {
    client.onUpdate(path, jsonToConvex(JSON.parse(args)), (value) => {
      emit({ ok: true, value: convexToJson(value) });
      if (++seen === Number(n)) resolve();
    }, (error) => {
      emit({ ok: false, message: error.message });
      resolve();
    });
    process.stdout.write(JSON.stringify({ watching: path }) + "\n");
  });
  await client.close();
} else if (mode === "watch-until") {
  const [path, args, final] = rest;
  const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
  await new Promise((resolve) => {
    client.onUpdate(path, jsonToConvex(JSON.parse(args)), (value) => {
      const json = convexToJson(value);
      emit({ ok: true, value: json, at: Date.now() });
      const wanted = Object.entries(JSON.parse(final));
      if (wanted.every(([k, v]) => JSON.stringify(json?.[k]) === JSON.stringify(v))) resolve();
    }, (error) => {
      emit({ ok: false, message: error.message });
      resolve();
    });
    process.stdout.write(JSON.stringify({ watching: path }) + "\n");
  });
  await client.close();
} else {
  const client = new ConvexHttpClient(url);
  for (const call of JSON.parse(mode)) {
    try {
      const value = await client[call.kind](call.path, jsonToConvex(call.args ?? {}));
      emit({ ok: true, value: convexToJson(value === undefined ? null : value) });
    } catch (error) {
      const data = error instanceof ConvexError ? convexToJson(error.data) : undefined;
      emit({ ok: false, message: error.message, data });
    }
  }
}
