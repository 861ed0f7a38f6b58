// `process.env`: the deployment's environment variables as the current execution sees
// them. A run asks the host for them on first use (`__env`: the values as of its
// transaction's snapshot, a read the host records), so a run that never looks costs
// nothing. A module imported ahead of its run (`prepare`) has no transaction yet: it
// sees the values the context was configured with, and the run that takes it checks
// those against its own (`takePrepared`). Analysis and requests carrying `env` use
// those values. Writes stay local to the execution; like upstream's, the object has no
// enumerable keys. While the auth config is evaluated, reads of unset variables are
// recorded so the host can report them (functions.md §1.6).

function envObject(values) {
  const env = Object.create(null);
  for (const [name, value] of Object.entries(values)) env[name] = String(value);
  return env;
}

// The variables of `exec`, resolved on first use; `exec.envJson` is then the host's
// answer for a run, or null where the configured values were used.
function envOf(exec) {
  if (exec.env === null) {
    if (exec.preparing || exec.kind === "analysis") {
      exec.envRead = true;
      exec.env = envObject(pushConfig.env);
    } else {
      exec.envJson = hostBridge("__env", "");
      exec.env = envObject(JSON.parse(exec.envJson));
    }
  }
  return exec.env;
}

function currentEnv() {
  return execution === null ? null : envOf(execution);
}

function envLookup(name) {
  const env = currentEnv();
  if (env !== null && typeof name === "string" && Object.prototype.hasOwnProperty.call(env, name)) {
    return env[name];
  }
  if (name === "inspect") return () => "[process.env]";
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
  ownKeys: () => [],
  getOwnPropertyDescriptor: () => undefined,
  defineProperty: () => false,
});

defineGlobal("process", { env: processEnv });
defineGlobal("self", hostGlobal);
