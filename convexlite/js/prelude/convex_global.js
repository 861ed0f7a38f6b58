// The `Convex` global the bundled `convex` library calls (functions.md §3.2).
// Queries and mutations answer async syscalls synchronously, in call order, through
// the bridge; actions register them with the host (`__async`) and wait for
// `__cvx.settle`, so the host can run them concurrently.

const DB_OP = /^1\.0\/(?:get|queryStream|queryStreamNext|queryCleanup|queryPage|count|getSnapshotTs|insert|shallowMerge|replace|remove|db\/.*)$/;

function syscallRefusal(op) {
  if (execution === null || execution.reported) {
    return new Error(`Can't call ${op}: no Convex function is running (a promise outlived its function?)`);
  }
  if (execution.phase === "import") {
    if (DB_OP.test(op)) return new Error("Can't use database at import time (move the call into a function handler)");
    return new Error(`Can't use ${op} at import time (move the call into a function handler)`);
  }
  return null;
}

function syscall(op, jsonArgs) {
  const refusal = syscallRefusal(String(op));
  if (refusal !== null) throw refusal;
  return hostBridge(String(op), String(jsonArgs));
}

const pendingOps = new Map();
let nextAsyncId = 1;

function asyncSyscall(op, jsonArgs) {
  const refusal = syscallRefusal(String(op));
  if (refusal !== null) return Promise.reject(refusal);
  if (execution.kind === "query" || execution.kind === "mutation") {
    return new Promise((resolve, reject) => {
      try {
        resolve(hostBridge(String(op), String(jsonArgs)));
      } catch (error) {
        reject(error);
      }
    });
  }
  return startAsyncOp(String(op), String(jsonArgs));
}

// An asynchronous host operation of an action: `__async` announces it, the host
// answers later with `__cvx.settle(id, ok, payload)`.
function startAsyncOp(op, jsonArgs) {
  const owner = execution;
  const id = nextAsyncId++;
  return new Promise((resolve, reject) => {
    pendingOps.set(id, { owner, resolve, reject });
    try {
      hostBridge("__async", JSON.stringify({ id, op, args: jsonArgs }));
    } catch (error) {
      pendingOps.delete(id);
      reject(error);
    }
  });
}

function settle(id, ok, payload) {
  const pending = pendingOps.get(id);
  if (pending === undefined) return false;
  pendingOps.delete(id);
  if (pending.owner.reported) return false;
  if (ok) pending.resolve(payload);
  else pending.reject(errorFromHostPayload(payload));
  return true;
}

function dropPendingOps(owner) {
  for (const [id, pending] of pendingOps) {
    if (pending.owner === owner) pendingOps.delete(id);
  }
}

function jsSyscall(op, args) {
  switch (op) {
    case "requestFromConvexJson":
      return requestFromConvexJson(args.convexJson);
    case "convexJsonFromResponse":
      return convexJsonFromResponse(args.response);
    case "storage/storeBlob":
      return storeBlob(args);
    case "storage/getBlob":
      return getBlob(args);
    default:
      throw new Error(`Unknown JS syscall ${op}`);
  }
}

async function storeBlob({ blob, options }) {
  if (!(blob instanceof Blob)) throw new TypeError("storage.store() expects a Blob");
  const bytes = blobBytes(blob);
  const args = { blob: bytesToBase64(bytes), contentType: blob.type };
  if (options?.sha256 !== undefined) args.sha256 = options.sha256;
  return JSON.parse(await asyncSyscall("1.0/storageStore", JSON.stringify(args)));
}

async function getBlob({ storageId }) {
  const found = JSON.parse(await asyncSyscall("1.0/storageGet", JSON.stringify({ storageId })));
  if (found === null) return null;
  return new Blob([base64ToBytes(found.blob)], { type: found.contentType ?? "" });
}

const ConvexGlobal = Object.freeze({ syscall, asyncSyscall, jsSyscall });
defineGlobal("Convex", ConvexGlobal);
