// The client side of bench_pocketbase.py: the same code drives PocketBase ("pb") and
// `convexlite serve` ("cl"). Prints one JSON object on stdout.
//
//   node pb_clients.mjs http <pb|cl> <url> <server pid> <n> <clients>
//   node pb_clients.mjs realtime <pb|cl> <url> <server pid> <subscribers> <writes> <idle s>
//
// HTTP: both sides are driven with Node's global fetch (undici, keep-alive), so the client
// stack is identical: PocketBase's REST records API, and convexlite's /api/mutation and
// /api/query with `format: "json"` (what ConvexHttpClient sends, minus its wrapper).
// Realtime: the writer is the same fetch; the subscriber is PocketBase's SSE
// (/api/realtime, subscribed to `items`) or the npm `convex` ConvexClient over its sync
// WebSocket (`ws`), watching `items:latest`. `convex` and `ws` are resolved from
// CONVEX_NPM_DIR (a directory with node_modules/convex and node_modules/ws).
// The server's CPU (utime+stime) and VmRSS are read from /proc/<pid> around each phase.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pbRealtime } from "./pb_realtime.mjs";

const [mode, kind, url, pidArg, ...rest] = process.argv.slice(2);
const pid = Number(pidArg);
const TCK = 100; // USER_HZ on Linux

function cpu() {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop().trim().split(/\s+/);
  return (Number(f[11]) + Number(f[12])) / TCK;
}
function rssKib() {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line.split(/\s+/)[1]);
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const summary = (lat) => ({ p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(path, body) {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text(); // PocketBase answers the realtime subscribe with 204
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// One operation each, same shape for both servers; each returns what the next step needs.
const ops = {
  pb: {
    insert: async (n, s) => (await post("/api/collections/items/records", { n, s })).id,
    get: async (id) => {
      const res = await fetch(`${url}/api/collections/items/records/${id}`);
      const out = await res.json();
      if (!res.ok) throw new Error(`get: ${res.status}`);
      return out;
    },
  },
  cl: {
    insert: async (n, s) => {
      const out = await post("/api/mutation", { path: "items:insert", args: { n, s }, format: "json" });
      if (out.status !== "success") throw new Error(JSON.stringify(out));
      return out.value;
    },
    get: async (id) => {
      const out = await post("/api/query", { path: "items:get", args: { id }, format: "json" });
      if (out.status !== "success" || out.value === null) throw new Error(JSON.stringify(out));
      return out.value;
    },
  },
}[kind];

// `total` calls of fn(i) from `clients` concurrent loops; rate, latencies, server CPU per op.
async function phase(total, clients, fn) {
  const lat = [];
  let next = 0;
  const cpu0 = cpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        await fn(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { ops_per_s: total / secs, ...summary(lat), server_cpu_us_per_op: ((cpu() - cpu0) / total) * 1e6 };
}

async function http(n, clients) {
  const ids = new Array(n);
  const tag = `${Date.now()}-${clients}`;
  const insert = await phase(n, clients, async (i) => {
    ids[i] = await ops.insert(i, `${tag}-${i}`);
  });
  const read = await phase(n, clients, async (i) => {
    await ops.get(ids[(i * 7919) % n]);
  });
  return { insert, read, server_rss_kib: rssKib() };
}

// ---- realtime subscribers: call onItem(s) for every item created after subscribing ----

async function pbSubscriber(onItem) {
  return pbRealtime(url, ["items"], (event, msg) => {
    if (event === "items" && msg.action === "create") onItem(msg.record.s);
  });
}

let ConvexClient;
let WebSocket;
async function clSubscriber(onItem) {
  if (!ConvexClient) {
    const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
    ({ ConvexClient } = require("convex/browser"));
    WebSocket = require("ws");
  }
  const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
  let first;
  const ready = new Promise((r) => (first = r));
  let last;
  client.onUpdate("items:latest", {}, (doc) => {
    first();
    const s = doc?.s;
    if (s !== last) {
      last = s;
      onItem(s);
    }
  });
  await ready;
  return () => client.close();
}

async function realtime(subscribers, writes, idleSeconds) {
  const subscribe = kind === "pb" ? pbSubscriber : clSubscriber;
  let waiting = null; // { s, t0, seen, first, last, done }
  const onItem = (s) => {
    const w = waiting;
    if (!w || s !== w.s) return;
    const dt = performance.now() - w.t0;
    if (w.seen === 0) w.first = dt;
    w.seen += 1;
    if (w.seen === subscribers) {
      w.last = dt;
      w.done();
    }
  };
  const rss0 = rssKib();
  const closers = [];
  try {
    for (let i = 0; i < subscribers; i += 50) {
      const batch = Math.min(50, subscribers - i);
      closers.push(...(await Promise.all(Array.from({ length: batch }, () => subscribe(onItem)))));
    }
    await sleep(500);
    const rss1 = rssKib();
    let idle = null;
    if (idleSeconds > 0) {
      const c0 = cpu();
      await sleep(idleSeconds * 1000);
      idle = { server_cpu_pct: ((cpu() - c0) / idleSeconds) * 100 };
    }
    const firsts = [];
    const lasts = [];
    const tag = `rt-${Date.now()}`;
    const cpu0 = cpu();
    for (let i = 0; i < writes; i++) {
      const s = `${tag}-${i}`;
      const done = new Promise((r) => {
        waiting = { s, t0: performance.now(), seen: 0, done: r };
      });
      const w = waiting;
      await ops.insert(i, s);
      const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error(`write ${i}: ${w.seen}/${subscribers} observed in 30 s`)), 30000));
      await Promise.race([done, timeout]);
      firsts.push(w.first);
      lasts.push(w.last);
    }
    return {
      subscribers,
      writes,
      first: summary(firsts),
      last: summary(lasts),
      server_cpu_us_per_write: ((cpu() - cpu0) / writes) * 1e6,
      server_rss_kib_per_subscriber: (rss1 - rss0) / subscribers,
      server_rss_kib: rss1,
      idle,
    };
  } finally {
    waiting = null;
    for (const close of closers) await close();
  }
}

let out;
if (mode === "http") out = await http(Number(rest[0]), Number(rest[1]));
else if (mode === "realtime") out = await realtime(Number(rest[0]), Number(rest[1]), Number(rest[2] ?? 0));
else throw new Error(`unknown mode ${mode}`);
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
