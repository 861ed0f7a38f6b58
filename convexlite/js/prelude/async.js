// Asynchronous globals. Timers and fetch are host operations of actions
// (`__async` ops `__sleep` / `__fetch`, settled by `__cvx.settle`); queries and
// mutations must stay deterministic, so they refuse them with upstream's messages.

function refuseInQueryOrMutation(what) {
  if (inImportPhase()) throw new Error(`Can't use ${what} at import time (move the call into a function handler)`);
  if (isQueryOrMutation()) {
    throw new Error(
      `Can't use ${what} in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.`,
    );
  }
  if (execution === null || execution.reported) throw new Error(`Can't use ${what}: no Convex function is running`);
}

defineGlobal("queueMicrotask", function queueMicrotask(callback) {
  if (typeof callback !== "function") throw new TypeError("queueMicrotask: callback must be a function");
  Promise.resolve().then(() => {
    try {
      callback();
    } catch (error) {
      reportListenerError(error);
    }
  });
});

const timers = new Map();
let nextTimerId = 1;

function timerArgs(callback, what) {
  if (typeof callback !== "function") throw new TypeError(`${what}: callback must be a function`);
}

function armTimer(id, ms, repeat) {
  const timer = timers.get(id);
  if (timer === undefined) return;
  startAsyncOp("__sleep", JSON.stringify({ ms })).then(() => {
    const current = timers.get(id);
    if (current === undefined || current.owner !== execution) return;
    if (!repeat) timers.delete(id);
    try {
      current.callback(...current.args);
    } catch (error) {
      reportListenerError(error);
    }
    if (repeat && timers.has(id)) armTimer(id, ms, true);
  }, () => timers.delete(id));
}

function setTimer(callback, delay, args, repeat, what) {
  refuseInQueryOrMutation(what);
  timerArgs(callback, what);
  const ms = Math.max(0, Number(delay) || 0);
  const id = nextTimerId++;
  timers.set(id, { owner: execution, callback, args });
  armTimer(id, repeat ? Math.max(ms, 1) : ms, repeat);
  return id;
}

defineGlobal("setTimeout", function setTimeout(callback, delay = 0, ...args) {
  return setTimer(callback, delay, args, false, "setTimeout");
});
defineGlobal("setInterval", function setInterval(callback, delay = 0, ...args) {
  return setTimer(callback, delay, args, true, "setInterval");
});
defineGlobal("clearTimeout", function clearTimeout(id) {
  timers.delete(Number(id));
});
defineGlobal("clearInterval", function clearInterval(id) {
  timers.delete(Number(id));
});

// AsyncLocalStorage without engine support for async context: the store is visible
// to code running synchronously inside `run` and to continuations of a promise
// that `run`'s callback returned until it settles (a documented approximation).
class AsyncLocalStorage {
  #stack = [];
  #entered = undefined;

  getStore() {
    return this.#stack.length ? this.#stack[this.#stack.length - 1] : this.#entered;
  }

  run(store, callback, ...args) {
    this.#stack.push(store);
    let popNow = true;
    try {
      const result = callback(...args);
      if (result instanceof Promise) {
        popNow = false;
        const pop = () => this.#remove(store);
        result.then(pop, pop);
      }
      return result;
    } finally {
      if (popNow) this.#remove(store);
    }
  }

  #remove(store) {
    const index = this.#stack.lastIndexOf(store);
    if (index !== -1) this.#stack.splice(index, 1);
  }

  exit(callback, ...args) {
    const saved = this.#stack;
    const entered = this.#entered;
    this.#stack = [];
    this.#entered = undefined;
    try {
      return callback(...args);
    } finally {
      this.#stack = saved;
      this.#entered = entered;
    }
  }

  enterWith(store) {
    this.#entered = store;
  }

  disable() {
    this.#stack = [];
    this.#entered = undefined;
  }

  static bind(fn) {
    return fn;
  }

  static snapshot() {
    return (fn, ...args) => fn(...args);
  }
}

class AsyncResource {
  constructor(type) {
    this.type = String(type);
  }

  runInAsyncScope(fn, thisArg, ...args) {
    return fn.apply(thisArg, args);
  }

  bind(fn) {
    return fn.bind(undefined);
  }

  emitDestroy() {
    return this;
  }

  static bind(fn) {
    return fn;
  }
}

defineGlobal("AsyncLocalStorage", AsyncLocalStorage);
defineGlobal("AsyncResource", AsyncResource);

async function fetchImpl(input, init) {
  refuseInQueryOrMutation("fetch()");
  const request = new Request(input, init);
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  const body = requestBytes(request);
  const args = {
    url: request.url,
    method: request.method,
    headerPairs: [...request.headers],
    body: body === null ? null : bytesToBase64(body),
  };
  const pending = startAsyncOp("__fetch", JSON.stringify(args));
  const aborted = new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  const answer = JSON.parse(await Promise.race([pending, aborted]));
  const response = new Response(answer.body === null ? null : base64ToBytes(answer.body), {
    status: 200,
    statusText: answer.statusText ?? "",
    headers: answer.headerPairs ?? [],
  });
  setResponseMeta(response, { status: answer.status, url: answer.url ?? request.url });
  return response;
}

defineGlobal("fetch", function fetch(input, init = undefined) {
  try {
    return fetchImpl(input, init);
  } catch (error) {
    return Promise.reject(error);
  }
});
