// The sessions phase of bench_pocketbase.py: many realtime sessions with 5 subscriptions
// each, spread over several Node worker processes, against PocketBase ("pb") or
// `convexlite serve` ("cl"). Prints one JSON object on stdout.
//
//   node pb_sessions.mjs <pb|cl> <url> <server pid> <sessions> <hot> <writes> <idle s>
//                        <workers> <impl: raw|raw-deflate|client>
//
// Session i subscribes to 5 keys. If i % (sessions / hot) == 0 (`hot` sessions, spread
// evenly over the workers) its first key is "hot", else "s<i>-0"; keys 1-4 are "s<i>-<k>".
// A write of key "hot" therefore changes what exactly `hot` sessions watch.
// - convexlite: a subscription is the query `subs:byKey {key}` (newest `subs` document
//   with that key, via the by_key index); the write is the mutation `subs:bump` over HTTP.
//   impl "raw": one `ws` WebSocket per session speaking the sync protocol by hand
//   (Connect, one ModifyQuerySet with 5 Adds, Transitions), without permessage-deflate;
//   "raw-deflate": the same, offering permessage-deflate as `ws` (and so ConvexClient in
//   Node) and browsers do by default; "client": one npm ConvexClient per session with 5
//   onUpdate subscriptions.
// - PocketBase: one SSE stream (GET /api/realtime) per session, subscribed to 5 topics
//   `subs?options={"query":{"filter":"key='<key>'"}}` on a `subs` collection; the write
//   is a record create over HTTP.
// Delivery is timed from just before the write's request to each hot session's message,
// on a clock shared by all processes (performance.timeOrigin + performance.now()).
// The server's CPU (utime+stime) and VmRSS are read from /proc/<pid>.
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { pbRealtime } from "./pb_realtime.mjs";

const SUBS = 5;
const OPEN_TIMEOUT_MS = 120_000;
const WRITE_TIMEOUT_MS = 15_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : null;
};

function keysOf(i, stride) {
  const keys = [];
  for (let k = 0; k < SUBS; k++) keys.push(k === 0 && i % stride === 0 ? "hot" : `s${i}-${k}`);
  return keys;
}

if (process.argv[2] === "worker") worker();
else await coordinator();

// ---- worker: holds its share of the sessions ----------------------------------------------

function worker() {
  let cfg;
  const closers = [];
  const stats = { transitions: 0, unexpected: 0, errors: 0, closed: 0, failed: 0, lastError: null };
  let armed = null; // { tag, times: [] }
  let myHot = 0;
  let closing = false;

  const onValue = (i, q, value) => {
    const a = armed;
    if (a && q === 0 && i % cfg.stride === 0 && value?.s === a.tag) {
      a.times.push(now());
      if (a.times.length === myHot) report(a, true);
    } else stats.unexpected += 1;
  };
  const report = (a, complete) => {
    if (a.reported) return;
    a.reported = true;
    const t = a.times;
    process.send({ type: "seen", tag: a.tag, seen: t.length, first: t.length ? Math.min(...t) : null, last: t.length ? Math.max(...t) : null, complete });
  };

  let WebSocket, ConvexClient;
  const load = () => {
    const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
    WebSocket = require("ws");
    if (cfg.impl === "client") ({ ConvexClient } = require("convex/browser"));
  };

  const failure = (e) => {
    stats.errors += 1;
    stats.lastError = String(e?.message ?? e).slice(0, 300);
  };

  function clRaw(i, keys) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(cfg.url.replace(/^http/, "ws") + "/api/1.48.0/sync", { perMessageDeflate: cfg.impl === "raw-deflate" });
      let ready = false;
      ws.on("open", () => {
        const connect = { type: "Connect", sessionId: randomUUID(), connectionCount: 0, lastCloseReason: "InitialConnect", clientTs: Date.now() };
        const adds = keys.map((key, queryId) => ({ type: "Add", queryId, udfPath: "subs:byKey", args: [{ key }] }));
        ws.send(JSON.stringify(connect));
        ws.send(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: adds }));
      });
      ws.on("message", (data) => {
        const msg = JSON.parse(data);
        if (msg.type === "Transition") {
          if (!ready) {
            if (msg.endVersion.querySet >= 1) {
              ready = true;
              resolve(() => ws.terminate());
            }
            return;
          }
          stats.transitions += 1;
          for (const m of msg.modifications) if (m.type === "QueryUpdated") onValue(i, m.queryId, m.value);
        } else if (msg.type === "FatalError" || msg.type === "AuthError") failure(new Error(JSON.stringify(msg)));
      });
      ws.on("error", (e) => (ready ? failure(e) : reject(e)));
      ws.on("close", (code) => {
        if (!ready) reject(new Error(`closed with ${code} before the first Transition`));
        else if (!closing) stats.closed += 1;
      });
    });
  }

  function clClient(i, keys) {
    const client = new ConvexClient(cfg.url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
    let pending = keys.length;
    return new Promise((resolve) => {
      keys.forEach((key, q) => {
        let first = true;
        client.onUpdate("subs:byKey", { key }, (value) => {
          if (first) {
            first = false;
            if (--pending === 0) resolve(() => client.close());
            return;
          }
          stats.transitions += 1;
          onValue(i, q, value);
        });
      });
    });
  }

  async function pbSse(i, keys) {
    const topics = keys.map((key) => `subs?options=${encodeURIComponent(JSON.stringify({ query: { filter: `key='${key}'` } }))}`);
    return pbRealtime(
      cfg.url,
      topics,
      (event, data) => {
        const q = topics.indexOf(event);
        if (q < 0) return;
        stats.transitions += 1;
        onValue(i, q, data.record);
      },
      { onClosed: () => { if (!closing) stats.closed += 1; }, onError: failure },
    );
  }

  const withTimeout = (p, ms, what) =>
    Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);

  async function open() {
    const t0 = now();
    const opener = cfg.kind === "pb" ? pbSse : cfg.impl === "client" ? clClient : clRaw;
    let next = cfg.from;
    await Promise.all(
      Array.from({ length: cfg.concurrency }, async () => {
        while (next < cfg.to) {
          const i = next++;
          try {
            closers.push(await withTimeout(opener(i, keysOf(i, cfg.stride)), OPEN_TIMEOUT_MS, `session ${i}`));
            if (i % cfg.stride === 0) myHot += 1;
          } catch (e) {
            stats.failed += 1;
            failure(e);
          }
        }
      }),
    );
    process.send({ type: "ready", opened: closers.length, hot: myHot, ms: now() - t0, rss_kib: process.memoryUsage().rss / 1024 });
  }

  process.on("message", async (m) => {
    if (m.type === "start") {
      cfg = m.cfg;
      load();
      await open();
    } else if (m.type === "arm") {
      armed = { tag: m.tag, times: [], reported: false };
      if (myHot === 0) report(armed, true);
      process.send({ type: "armed" });
    } else if (m.type === "report") {
      if (armed) report(armed, false);
    } else if (m.type === "stats") {
      process.send({ type: "stats", stats, rss_kib: process.memoryUsage().rss / 1024 });
    } else if (m.type === "close") {
      closing = true;
      armed = null;
      for (const close of closers) {
        try {
          await close();
        } catch {}
      }
      process.exit(0);
    }
  });
}

// ---- coordinator: forks the workers, writes, collects --------------------------------------

async function coordinator() {
  const [kind, url, pidArg, sessionsArg, hotArg, writesArg, idleArg, workersArg, implArg] = process.argv.slice(2);
  const pid = Number(pidArg);
  const sessions = Number(sessionsArg);
  const hot = Number(hotArg);
  const writes = Number(writesArg);
  const idleSeconds = Number(idleArg);
  const nWorkers = Number(workersArg);
  const impl = kind === "pb" ? "sse" : implArg;
  const stride = Math.max(1, Math.floor(sessions / hot));
  const cpu = () => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop().trim().split(/\s+/);
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const rssKib = () => Number(readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:")).split(/\s+/)[1]);

  const workers = [];
  const inbox = new Map(); // type -> [messages]
  const waiters = [];
  const deliver = (m) => {
    (inbox.get(m.type) ?? inbox.set(m.type, []).get(m.type)).push(m);
    for (const w of [...waiters]) w();
  };
  // Wait until `n` messages of `type` arrived (or `ms` passed); returns and clears them.
  const collect = async (type, n, ms) => {
    const deadline = Date.now() + ms;
    while ((inbox.get(type)?.length ?? 0) < n && Date.now() < deadline) {
      await new Promise((r) => {
        const t = setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now())));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      waiters.length = 0;
    }
    const got = inbox.get(type) ?? [];
    inbox.set(type, []);
    return got;
  };
  const broadcast = (m) => workers.forEach((w) => w.send(m));

  const write = async (tag) => {
    const [path, body] =
      kind === "pb"
        ? ["/api/collections/subs/records", { key: "hot", s: tag }]
        : ["/api/mutation", { path: "subs:bump", args: { key: "hot", s: tag }, format: "json" }];
    const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const out = await res.json();
    if (!res.ok || (kind !== "pb" && out.status !== "success")) throw new Error(`write: ${res.status} ${JSON.stringify(out)}`);
  };

  const rss0 = rssKib();
  const t0 = now();
  const per = Math.ceil(sessions / nWorkers);
  const self = fileURLToPath(import.meta.url);
  for (let w = 0; w < nWorkers; w++) {
    const from = w * per;
    const to = Math.min(sessions, from + per);
    const child = fork(self, ["worker"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.on("message", deliver);
    child.send({ type: "start", cfg: { kind, url, from, to, stride, impl, concurrency: 64 } });
    workers.push(child);
  }
  const result = { kind, impl, sessions, hot_wanted: hot, workers: nWorkers };
  try {
    const ready = await collect("ready", nWorkers, 10 * 60_000);
    const connectS = (now() - t0) / 1000;
    result.opened = ready.reduce((a, r) => a + r.opened, 0);
    result.hot = ready.reduce((a, r) => a + r.hot, 0);
    result.connect_s = connectS;
    result.client_rss_mib = ready.reduce((a, r) => a + r.rss_kib, 0) / 1024;
    await sleep(1000);
    const rss1 = rssKib();
    result.server_rss_kib_before = rss0;
    result.server_rss_kib = rss1;
    result.server_rss_kib_per_session = (rss1 - rss0) / Math.max(1, result.opened);
    if (idleSeconds > 0) {
      const c0 = cpu();
      const i0 = now();
      await sleep(idleSeconds * 1000);
      result.idle = { seconds: idleSeconds, server_cpu_pct: ((cpu() - c0) / ((now() - i0) / 1000)) * 100 };
    }
    const firsts = [];
    const lasts = [];
    const delivered = [];
    const cpu0 = cpu();
    const tag0 = `w-${Date.now()}`;
    for (let k = 0; k < writes; k++) {
      const tag = `${tag0}-${k}`;
      broadcast({ type: "arm", tag });
      await collect("armed", nWorkers, 10_000);
      const start = now();
      await write(tag);
      let seen = await collect("seen", nWorkers, WRITE_TIMEOUT_MS);
      if (seen.length < nWorkers) {
        broadcast({ type: "report" });
        seen = seen.concat(await collect("seen", nWorkers - seen.length, 5_000));
      }
      const got = seen.filter((s) => s.tag === tag);
      const n = got.reduce((a, s) => a + s.seen, 0);
      delivered.push(n);
      const f = got.map((s) => s.first).filter((x) => x !== null);
      const l = got.map((s) => s.last).filter((x) => x !== null);
      if (f.length) firsts.push(Math.min(...f) - start);
      if (l.length && n === result.hot) lasts.push(Math.max(...l) - start);
      await sleep(300);
    }
    result.writes = writes;
    result.write_server_cpu_ms = ((cpu() - cpu0) / writes) * 1000; // includes the 300 ms pauses
    result.delivered_min = delivered.length ? Math.min(...delivered) : 0;
    result.complete_writes = lasts.length;
    result.first = { p50_ms: pct(firsts, 0.5), p99_ms: pct(firsts, 0.99), max_ms: pct(firsts, 1) };
    result.last = { p50_ms: pct(lasts, 0.5), p99_ms: pct(lasts, 0.99), max_ms: pct(lasts, 1) };
    result.within_200ms = lasts.filter((x) => x <= 200).length;
    broadcast({ type: "stats" });
    const stats = await collect("stats", nWorkers, 10_000);
    const sum = (key) => stats.reduce((a, s) => a + s.stats[key], 0);
    result.client = {
      failed: sum("failed"),
      errors: sum("errors"),
      closed_by_server: sum("closed"),
      unexpected_updates: sum("unexpected"),
      last_error: stats.map((s) => s.stats.lastError).find((e) => e) ?? null,
      rss_mib: stats.reduce((a, s) => a + s.rss_kib, 0) / 1024,
    };
    result.server_rss_kib_end = rssKib();
  } finally {
    broadcast({ type: "close" });
    await Promise.race([Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on("exit", r))))), sleep(30_000)]);
    for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
