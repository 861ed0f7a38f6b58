// Runs workload processes through the npm `convex` clients against a deployment and prints
// a JSON record when it invokes an operation and one when it completes (workload.py reads
// them; an operation without completion may or may not have happened).
// Usage: node driver.mjs '<config JSON>'; `convex` resolves from CONVEX_NPM_DIR.
// Each process runs one operation at a time: a list-append transaction (mutation or an
// action running it), a bank transfer (same) or a read of every balance. An operation that
// gets no answer in time is lost and its process continues under a new name, as in Elle.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { ConvexError } = require("convex/values");
const WebSocket = require("ws");

const config = JSON.parse(process.argv[2]);
const emit = (record) => process.stdout.write(JSON.stringify(record) + "\n");
const pick = (items) => items[Math.floor(Math.random() * items.length)];
const LOST = /fetch failed|ECONN|socket|closed|terminated|network|Connection lost|timed out|other side|EPIPE/i;

// "error": the server answered with an error (workload.py decides if it is definite);
// "lost": no answer (info).
function outcome(error) {
  if (error instanceof ConvexError) return "convexError";
  return LOST.test(String(error?.message ?? error)) ? "lost" : "error";
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function listAppendTxn(state) {
  const epoch = Math.floor((Date.now() - config.start) / config.rotateMs);
  const mops = [];
  const count = 1 + Math.floor(Math.random() * 4);
  for (let i = 0; i < count; i++) {
    const key = `k${epoch}-${Math.floor(Math.random() * config.keys)}`;
    if (Math.random() < 0.5) mops.push(["r", key, null]);
    else mops.push(["append", key, state.base + state.next++]);
  }
  return mops;
}

function transfer() {
  const from = Math.floor(Math.random() * config.accounts);
  const to = (from + 1 + Math.floor(Math.random() * (config.accounts - 1))) % config.accounts;
  return { from: `a${from}`, to: `a${to}`, amount: 1 + Math.floor(Math.random() * 5) };
}

async function runProcess(spec) {
  const state = { base: spec.id * 1_000_000, next: 0, generation: 0, seq: 0 };
  const ws = spec.transport === "ws";
  const client = ws
    ? new ConvexClient(config.url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false })
    : new ConvexHttpClient(config.url);
  while (Date.now() < config.deadline) {
    const roll = Math.random();
    let record;
    if (roll < 0.6) {
      const via = roll < 0.45 ? "mutation" : "action";
      const mops = listAppendTxn(state);
      const path = via === "mutation" ? "la:txn" : "la:txnAction";
      // with `tokens`, la:txn answers a re-sent request instead of running it again (app.py)
      const args = config.tokens ? { mops, token: String(state.base + state.next++) } : { mops };
      record = { workload: "la", via, mops, call: () => client[via](path, args) };
    } else if (roll < 0.8) {
      const via = roll < 0.75 ? "mutation" : "action";
      const args = transfer();
      const path = via === "mutation" ? "bank:transfer" : "bank:transferAction";
      record = { workload: "bank", f: "transfer", via, args, call: () => client[via](path, args) };
    } else {
      const via = ws || roll < 0.9 ? "query" : "mutation";
      const path = via === "query" ? "bank:balances" : "bank:balancesTxn";
      record = { workload: "bank", f: "read", via, call: () => client[via](path, {}) };
    }
    const { call, ...fields } = record;
    const invoked = Date.now();
    const processName = `${spec.id}.${state.generation}`;
    const op = `${processName}:${state.seq++}`;
    emit({ ...fields, op, type: "invoke", process: processName, invoked: invoked * 1e6 });
    let type, value, error;
    try {
      value = await withTimeout(call(), config.timeoutMs);
      type = "ok";
    } catch (e) {
      type = outcome(e);
      error = String(e?.message ?? e).slice(0, 300);
    }
    const completed = type === "lost" ? null : Date.now() + 1;
    if (type === "lost") {
      state.generation += 1;
      await new Promise((resolve) => setTimeout(resolve, 100)); // the server may be down
    }
    const result = { ...fields, op, client: `npm-${spec.transport}`, process: processName, type,
                     invoked: invoked * 1e6, completed: completed && completed * 1e6, error };
    if (fields.workload === "la" && type === "ok") result.mops = value;
    if (fields.f === "read" && type === "ok") result.balances = value;
    emit(result);
  }
  if (ws) await withTimeout(client.close(), 2000).catch(() => {});
}

await Promise.all(config.processes.map(runProcess));
process.exit(0);
