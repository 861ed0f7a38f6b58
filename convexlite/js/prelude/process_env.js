// `process.env`: a read-mostly view of the deployment's environment variables for
// the current execution (injected with the request, so reads need no bridge call).
// Writes stay local to the execution. While the auth config is evaluated, reads of
// unset variables are recorded so the host can report them (functions.md §1.6).

function currentEnv() {
  if (execution === null) return null;
  return execution.env;
}

function envLookup(name) {
  const env = currentEnv();
  if (env !== null && typeof name === "string" && Object.prototype.hasOwnProperty.call(env, name)) {
    return env[name];
  }
  if (execution !== null && execution.missingEnv !== null && typeof name === "string") {
    execution.missingEnv.add(name);
  }
  return undefined;
}

const processEnv = new Proxy(Object.create(null), {
  get: (_target, name) => (typeof name === "string" ? envLookup(name) : undefined),
  has: (_target, name) => {
    const env = currentEnv();
    return env !== null && typeof name === "string" && Object.prototype.hasOwnProperty.call(env, name);
  },
  set: (_target, name, value) => {
    const env = currentEnv();
    if (env !== null && typeof name === "string") env[name] = String(value);
    return true;
  },
  deleteProperty: (_target, name) => {
    const env = currentEnv();
    if (env !== null && typeof name === "string") delete env[name];
    return true;
  },
  ownKeys: () => {
    const env = currentEnv();
    return env === null ? [] : Object.keys(env);
  },
  getOwnPropertyDescriptor: (_target, name) => {
    const env = currentEnv();
    if (env === null || typeof name !== "string" || !Object.prototype.hasOwnProperty.call(env, name)) {
      return undefined;
    }
    return { value: env[name], writable: true, enumerable: true, configurable: true };
  },
  defineProperty: () => false,
});

defineGlobal("process", { env: processEnv });
defineGlobal("self", hostGlobal);
