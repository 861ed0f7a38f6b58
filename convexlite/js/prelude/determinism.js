// Determinism (functions.md §3.5): Math.random, crypto randomness, Date and
// performance.now read the clock and generator of the current phase. Queries and
// mutations see a frozen time and a host-seeded xoshiro128** stream, so re-running
// one with the same seeds reproduces it; actions see real time.

class Xoshiro128 {
  constructor(seed) {
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) s[i] = Number(seed?.[i] ?? 0) >>> 0;
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 0x9e3779b9;
    this.s = s;
  }

  nextU32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  nextDouble() {
    const high = this.nextU32() >>> 5;
    const low = this.nextU32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }
}

function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}

function hostSeed() {
  const seed = [];
  for (let i = 0; i < 4; i++) seed.push(Math.floor(originalRandom() * 4294967296));
  return seed;
}

// Used between executions (e.g. code run by the host outside `run`).
const idleRng = new Xoshiro128(hostSeed());

function currentRng() {
  if (execution === null) return idleRng;
  execution.observedRng = true;
  return execution.rng;
}

function currentTime() {
  if (execution === null) return realNow();
  execution.observedTime = true;
  return execution.frozenTime ?? realNow();
}

Object.defineProperty(Math, "random", {
  value: function random() {
    return currentRng().nextDouble();
  },
  writable: true,
  enumerable: false,
  configurable: true,
});

// `Date` keeps the original prototype, so instances, subclasses and `instanceof`
// behave as usual; only the constructor's "now" comes from the phase clock.
const PatchedDate = function Date(...args) {
  if (new.target === undefined) return new OriginalDate(currentTime()).toString();
  if (args.length === 0) return Reflect.construct(OriginalDate, [currentTime()], new.target);
  return Reflect.construct(OriginalDate, args, new.target);
};
Object.defineProperty(PatchedDate, "length", { value: 7 });
Object.defineProperty(PatchedDate, "prototype", {
  value: OriginalDate.prototype,
  writable: false,
  enumerable: false,
  configurable: false,
});
defineHidden(PatchedDate, "now", function now() {
  return currentTime();
});
defineHidden(PatchedDate, "parse", OriginalDate.parse);
defineHidden(PatchedDate, "UTC", OriginalDate.UTC);
defineHidden(OriginalDate.prototype, "constructor", PatchedDate);
defineGlobal("Date", PatchedDate);

// performance.now(): milliseconds since the import phase began (§3.5).
function performanceNow() {
  if (execution === null) return 0;
  if (execution.phase === "import") return 0;
  const base = (execution.execTime ?? execution.importTime) - execution.importTime;
  if (execution.kind === "query") return base;
  if (execution.kind === "mutation") return base + (realNow() - execution.execStartReal);
  return realNow() - execution.importTime;
}

class Performance {
  constructor(key) {
    if (key !== PRELUDE_URL) throw new TypeError("Illegal constructor");
  }

  now() {
    return performanceNow();
  }

  get timeOrigin() {
    return execution === null ? 0 : execution.importTime;
  }

  toJSON() {
    return { timeOrigin: this.timeOrigin };
  }
}
defineGlobal("Performance", Performance);
defineGlobal("performance", new Performance(PRELUDE_URL));

// Weak references are made deterministic (§3.5): the garbage collector must not be
// observable from a query, so WeakRef holds strongly and finalizers never run.
class DeterministicWeakRef {
  #target;

  constructor(target) {
    if (!isObjectLike(target)) throw new TypeError("WeakRef: target must be an object");
    this.#target = target;
  }

  deref() {
    return this.#target;
  }

  get [Symbol.toStringTag]() {
    return "WeakRef";
  }
}
defineGlobal("WeakRef", DeterministicWeakRef);

class DeterministicFinalizationRegistry {
  constructor(callback) {
    if (typeof callback !== "function") throw new TypeError("FinalizationRegistry: callback must be callable");
  }

  register() {}

  unregister() {
    return false;
  }

  get [Symbol.toStringTag]() {
    return "FinalizationRegistry";
  }
}
defineGlobal("FinalizationRegistry", DeterministicFinalizationRegistry);
