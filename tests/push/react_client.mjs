// ConvexReactClient (convex/react) in Node, on `ws`, against a deployment of
// tests/push/projects/notes: watchQuery(...).onUpdate, mutation, action. Prints JSON lines.
// Usage: node react_client.mjs <deployment url>
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexReactClient } = require("convex/react");
const { anyApi } = require("convex/server");
const WebSocket = require("ws");

const [url] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const client = new ConvexReactClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
const api = anyApi;

const watch = client.watchQuery(api.notes.list, {});
const updates = [];
let wake = () => {};
const unsubscribe = watch.onUpdate(() => {
  const value = watch.localQueryResult();
  updates.push(value);
  emit({ update: value ?? null });
  wake();
});
const until = (predicate) =>
  new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : (wake = check));
    check();
  });

await until(() => updates.some((v) => v !== undefined));
emit({ initial: watch.localQueryResult() });
const id = await client.mutation(api.notes.add, { body: "from react" });
emit({ mutation: typeof id });
await until(() => (watch.localQueryResult() ?? []).includes("from react"));
const both = await client.action(api.notes.addTwice, { body: "from an action" });
emit({ action: both });
await until(() => (watch.localQueryResult() ?? []).filter((b) => b === "from an action").length === 2);
emit({ final: watch.localQueryResult() });
const queried = await client.query(api.notes.list, {});
emit({ query: queried });
unsubscribe();
await client.close();
emit({ closed: true });
