// Last file: publish `__cvx` and snapshot the global object, so globals that user
// code adds or replaces during an execution are undone when it ends.

defineGlobal("__cvx", Object.freeze({
  define: defineModule,
  instances: moduleInstances,
  has: (path) => moduleFactories.has(path),
  run,
  configure,
  settle,
  analyze,
  evaluate,
}));

const baselineGlobals = new Map(
  Reflect.ownKeys(hostGlobal).map((key) => [key, Object.getOwnPropertyDescriptor(hostGlobal, key)]),
);

function sameDescriptor(a, b) {
  return a.value === b.value && a.get === b.get && a.set === b.set;
}

function restoreGlobals() {
  for (const key of Reflect.ownKeys(hostGlobal)) {
    if (baselineGlobals.has(key)) continue;
    if (typeof key === "string" && key.startsWith("__cvx")) continue;
    try {
      delete hostGlobal[key];
    } catch {
      // a non-configurable global added by user code cannot be removed
    }
  }
  for (const [key, descriptor] of baselineGlobals) {
    const current = Object.getOwnPropertyDescriptor(hostGlobal, key);
    if (current !== undefined && sameDescriptor(current, descriptor)) continue;
    try {
      Object.defineProperty(hostGlobal, key, descriptor);
    } catch {
      if (descriptor.writable) hostGlobal[key] = descriptor.value;
    }
  }
}
