// The entry points the host calls: `__cvx.run` (one function execution, completed
// through `__cvx_bridge("__done", ...)`), `__cvx.settle` (an action's async op
// finished), `__cvx.analyze` and `__cvx.evaluate` (push-time, import phase only).

// A failure with a stable error code the Python side turns into its error type.
class HostFailure extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const UDF_TYPES = { query: "Query", mutation: "Mutation", action: "Action" };
const HTTP_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

// What every run of one push imports with (`__cvx.configure`): the import phase's
// seed and frozen time, and the environment variables modules prepared ahead of their
// run see (`envJson`, the host's canonical JSON of them, as `__env` answers).
let pushConfig = { importSeed: undefined, importTime: undefined, env: {}, envJson: "{}" };

function configure(config) {
  discardPrepared();
  const envJson = config.envJson ?? "{}";
  pushConfig = { importSeed: config.importSeed, importTime: config.importTime, env: JSON.parse(envJson), envJson };
}

function newExecution(kind, request) {
  const importTime = Number(request.importTime ?? request.time ?? pushConfig.importTime ?? realNow());
  return {
    kind,
    phase: "import",
    env: request.env === undefined ? null : envObject(request.env),
    envJson: null,
    envRead: false,
    preparing: false,
    rng: new Xoshiro128(request.importSeed ?? request.seed ?? pushConfig.importSeed),
    importTime,
    frozenTime: importTime,
    execTime: null,
    execStartReal: realNow(),
    logs: [],
    reported: false,
    observedTime: false,
    observedRng: false,
    missingEnv: null,
    currentModule: null,
  };
}

function enterExecPhase(exec, seed, time) {
  exec.phase = "exec";
  exec.rng = new Xoshiro128(seed);
  exec.execTime = Number(time ?? realNow());
  exec.frozenTime = exec.kind === "query" || exec.kind === "mutation" ? exec.execTime : null;
  exec.execStartReal = realNow();
  exec.observedTime = false;
  exec.observedRng = false;
}

// {name, message, stack, frames, data?, code?} of anything thrown.
function describeError(error) {
  if (isObjectLike(error) && (error instanceof Error || typeof error.message === "string")) {
    let stack = "";
    try {
      stack = typeof error.stack === "string" ? error.stack : "";
    } catch {
      stack = "";
    }
    const described = {
      name: String(safeGet(error, "name") ?? "Error"),
      message: String(safeGet(error, "message") ?? ""),
      stack,
      frames: framesOf(error),
    };
    if (isConvexError(error)) described.data = convexErrorData(error, (data) => inspectValue(data, 0, [], ""));
    if (error instanceof HostFailure) described.code = error.code;
    return described;
  }
  const message = typeof error === "string" ? error : inspectValue(error, 0, [], "");
  return { name: "Error", message, stack: "", frames: [] };
}

function registeredKind(value) {
  if (!isObjectLike(value)) return null;
  const kinds = ["query", "mutation", "action"].filter(
    (kind) => `is${kind[0].toUpperCase()}${kind.slice(1)}` in value,
  );
  return kinds.length === 1 ? kinds[0] : null;
}

function udfPathOf(module, name) {
  const base = module.endsWith(".js") ? module.slice(0, -3) : module;
  return name === "default" ? base : `${base}:${name}`;
}

function importModule(instances, module) {
  try {
    return instances.import(module);
  } catch (error) {
    if (error instanceof ModuleNotFound) throw new Error(`Couldn't find module "${module}".`);
    throw error;
  }
}

function exportedFunction(namespace, request) {
  const { module, name } = request;
  const value = name in namespace ? namespace[name] : undefined;
  if (value === undefined) throw new Error(`Couldn't find "${name}" in module "${module}".`);
  const kind = registeredKind(value);
  if (kind === null) {
    throw new Error(`"${name}" in module "${module}" is not a Convex query, mutation or action.`);
  }
  if (kind !== request.kind) {
    throw new Error(
      `Function ${udfPathOf(module, name)} is registered as a ${kind} but is being run as a ${request.kind}.`,
    );
  }
  return value;
}

function routerOf(namespace, module) {
  if (!("default" in namespace)) {
    throw new HostFailure("InvalidModules", `\`convex/${module}\` must have a default export of a Router.`);
  }
  const router = namespace.default;
  if (!isObjectLike(router) || router.isRouter !== true || typeof router.getRoutes !== "function") {
    throw new HostFailure("InvalidModules", `The default export of \`convex/${module}\` is not a Router.`);
  }
  return router;
}

// `routedPath`: the path below the mount of a component's router (its parent's httpPrefix).
async function runHttpRequest(router, request) {
  const pathname = request.routedPath ?? new URL(request.url).pathname;
  const match = router.lookup(pathname, request.method);
  const routePath = match === null ? pathname : match[2];
  const convexJson = {
    url: request.url,
    method: request.method,
    headerPairs: request.headerPairs ?? [],
    body: request.body ?? null,
  };
  return JSON.parse(await router.runRequest(JSON.stringify(convexJson), routePath));
}

// The next run's module, instantiated as soon as the previous run reported, so a call
// does not wait for its import phase. The import phase is deterministic (push seed,
// push time, environment variables), so the instances are those the call would have
// made, unless the module read variables that differ from the run's (checked when the
// run takes it); its global changes stay until that run ends, as they would have. A
// module that logs or throws while imported is always imported by the run itself.
let prepared = null;
const unpreparable = new Set();

function hasImportOverrides(request) {
  return request.importSeed !== undefined || request.importTime !== undefined || request.env !== undefined;
}

function prepare(request) {
  const { kind, module } = request;
  if (execution !== null || prepared !== null || hasImportOverrides(request) || unpreparable.has(module)) return;
  const exec = newExecution(kind, {});
  exec.preparing = true;
  execution = exec;
  let namespace = null;
  try {
    namespace = importModule(moduleInstances(), module);
  } catch {
    // the run imports it again and reports the error
  } finally {
    execution = null;
  }
  if (namespace === null || exec.logs.length > 0) {
    unpreparable.add(module);
    restoreGlobals();
    return;
  }
  prepared = { kind, module, namespace, envJson: exec.envRead ? pushConfig.envJson : null };
}

function discardPrepared() {
  if (prepared === null) return;
  prepared = null;
  restoreGlobals();
}

// The prepared instance if it is `request`'s module and, when its import read
// `process.env`, it read the values `exec` sees; otherwise a fresh import.
function takePrepared(request, exec) {
  const { kind, module } = request;
  if (prepared !== null && prepared.kind === kind && prepared.module === module && !hasImportOverrides(request)) {
    const { namespace, envJson } = prepared;
    if (envJson === null || (envOf(exec), exec.envJson === envJson)) {
      prepared = null;
      return namespace;
    }
  }
  discardPrepared();
  return importModule(moduleInstances(), module);
}

function startExecution(exec, request) {
  const namespace = takePrepared(request, exec);
  if (request.kind === "httpAction") {
    const router = routerOf(namespace, request.module);
    enterExecPhase(exec, request.execSeed, request.execTime);
    return runHttpRequest(router, request.request);
  }
  const fn = exportedFunction(namespace, request);
  enterExecPhase(exec, request.execSeed, request.execTime);
  switch (request.kind) {
    case "query":
      return Promise.resolve(fn.invokeQuery(request.args));
    case "mutation":
      return Promise.resolve(fn.invokeMutation(request.args));
    default:
      return Promise.resolve(fn.invokeAction(String(request.requestId ?? ""), request.args));
  }
}

// `request` defaults to the host's answer to `__request`: the run's source is then
// always the same, and V8 compiles it once per context instead of once per call.
function run(request) {
  if (execution !== null) throw new Error("convexlite: an execution is already running in this context");
  if (request === undefined) request = JSON.parse(hostBridge("__request", ""));
  if (!["query", "mutation", "action", "httpAction"].includes(request?.kind)) {
    throw new TypeError(`convexlite: unknown function kind ${request?.kind}`);
  }
  const exec = newExecution(request.kind, request);
  execution = exec;
  const finish = (outcome) => {
    if (exec.reported) return;
    exec.reported = true;
    if (execution === exec) execution = null;
    dropPendingOps(exec);
    restoreGlobals();
    const result = { ...outcome, logs: exec.logs, observedTime: exec.observedTime, observedRng: exec.observedRng };
    let payload;
    try {
      payload = JSON.stringify(result);
    } catch (error) {
      payload = JSON.stringify({
        ok: false,
        error: { name: "Error", message: `convexlite: unserializable result: ${describeError(error).message}`, stack: "", frames: [] },
        logs: exec.logs,
      });
    }
    hostBridge("__done", payload);
    prepare(request);
  };
  let promise;
  try {
    promise = startExecution(exec, request);
  } catch (error) {
    finish({ ok: false, error: describeError(error) });
    return;
  }
  promise.then(
    (value) => finish({ ok: true, value }),
    (error) => finish({ ok: false, error: describeError(error) }),
  );
}

// Run `body` in an import-phase execution (every syscall refused) and return the
// JSON envelope {ok, value | error, logs}.
function withImportPhase(request, body) {
  if (execution !== null) throw new Error("convexlite: an execution is already running in this context");
  discardPrepared();
  const exec = newExecution("analysis", request);
  execution = exec;
  let envelope;
  try {
    envelope = { ok: true, value: body(exec) };
  } catch (error) {
    envelope = { ok: false, error: { ...describeError(error), module: exec.currentModule } };
  } finally {
    exec.reported = true;
    execution = null;
    restoreGlobals();
  }
  envelope.logs = exec.logs;
  return JSON.stringify(envelope);
}

function exportedValidator(value, method, module, name) {
  if (typeof value[method] !== "function") return null;
  const exported = value[method]();
  const where = `${udfPathOf(module, name)}.${method}()`;
  if (typeof exported !== "string") {
    throw new HostFailure("InvalidModules", `Invalid ${method} return value from ${where}: expected a string`);
  }
  try {
    JSON.parse(exported);
  } catch {
    throw new HostFailure("InvalidModules", `Invalid JSON returned from ${where}: ${exported}`);
  }
  return exported;
}

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkFunctionName(module, name) {
  if (name.length > 64 || !FUNCTION_NAME.test(name) || /^_+$/.test(name)) {
    throw new HostFailure(
      "InvalidFunctionName",
      `Invalid function name "${name}" in module "${module}": function names must be identifiers of at most 64 characters (letters, digits and underscores, not starting with a digit, not only underscores)`,
    );
  }
}

function analyzedFunctions(module, namespace) {
  const functions = [];
  for (const name of Object.keys(namespace).sort()) {
    const value = namespace[name];
    const kind = registeredKind(value);
    if (kind === null) continue;
    const isPublic = "isPublic" in value;
    const isInternal = "isInternal" in value;
    if (isPublic && isInternal) {
      pushLogLine("WARN", [`Skipping ${udfPathOf(module, name)}: it is marked both public and internal`]);
      continue;
    }
    checkFunctionName(module, name);
    functions.push({
      name,
      pos: null,
      udfType: UDF_TYPES[kind],
      visibility: isPublic ? { kind: "public" } : isInternal ? { kind: "internal" } : null,
      args: exportedValidator(value, "exportArgs", module, name),
      returns: exportedValidator(value, "exportReturns", module, name),
    });
  }
  return functions;
}

function analyzedRoutes(module, namespace) {
  const routes = routerOf(namespace, module).getRoutes();
  if (!Array.isArray(routes)) {
    throw new HostFailure("InvalidModules", `\`convex/${module}\`: getRoutes() must return an array`);
  }
  return routes.map((route) => {
    const ok = Array.isArray(route) && route.length === 3 && typeof route[0] === "string" &&
      HTTP_METHODS.has(route[1]) && isObjectLike(route[2]);
    if (!ok) {
      throw new HostFailure("InvalidModules", `\`convex/${module}\`: getRoutes() returned an invalid route ${inspectValue(route, 3, [], "")}`);
    }
    return { route: { path: route[0], method: route[1] }, pos: null };
  });
}

function cronSchedule(schedule) {
  if (!isObjectLike(schedule)) return schedule;
  if (schedule.type === "cron") return { type: "cron", cronExpr: schedule.cron };
  if (schedule.type === "interval") {
    const seconds = schedule.seconds ?? (schedule.minutes !== undefined ? schedule.minutes * 60 : undefined) ??
      (schedule.hours !== undefined ? schedule.hours * 3600 : undefined);
    return { type: "interval", seconds };
  }
  return schedule;
}

function analyzedCrons(module, namespace) {
  if (!("default" in namespace)) return null;
  const crons = namespace.default;
  if (!isObjectLike(crons) || crons.isCrons !== true || typeof crons.export !== "function") {
    throw new HostFailure("InvalidModules", `The default export of \`convex/${module}\` is not a Crons object (cronJobs()).`);
  }
  const specs = JSON.parse(crons.export());
  return Object.entries(specs).map(([identifier, spec]) => ({
    identifier,
    spec: { udfPath: spec.name, udfArgs: spec.args, cronSchedule: cronSchedule(spec.schedule) },
  }));
}

function analyzeModule(module, namespace) {
  const analyzed = { functions: [], httpRoutes: null, cronSpecs: null, sourceMapped: null };
  if (module === "auth.config.js") return analyzed;
  analyzed.functions = analyzedFunctions(module, namespace);
  if (module === "http.js") analyzed.httpRoutes = analyzedRoutes(module, namespace);
  if (module === "crons.js") analyzed.cronSpecs = analyzedCrons(module, namespace);
  if ("experimental_reuseContext" in namespace && namespace.experimental_reuseContext === true) {
    analyzed.reuseContext = true;
  }
  return analyzed;
}

function analyze(request) {
  return withImportPhase(request, (exec) => {
    const instances = moduleInstances();
    const analyzed = {};
    for (const module of request.modules) {
      exec.currentModule = module;
      analyzed[module] = analyzeModule(module, importModule(instances, module));
    }
    exec.currentModule = null;
    return analyzed;
  });
}

function defaultExport(namespace, module, what) {
  const value = "default" in namespace ? namespace.default : undefined;
  if (!isObjectLike(value)) {
    throw new HostFailure("InvalidModules", `\`convex/${module}\` must have a default export (${what}).`);
  }
  return value;
}

function plainJson(value) {
  return typeof value === "string" ? JSON.parse(value) : JSON.parse(JSON.stringify(value ?? null));
}

function evaluate(request) {
  return withImportPhase(request, (exec) => {
    exec.currentModule = request.module;
    if (request.what === "authConfig") exec.missingEnv = new Set();
    const namespace = importModule(moduleInstances(), request.module);
    switch (request.what) {
      case "schema": {
        const schema = defaultExport(namespace, request.module, "defineSchema(...)");
        if (typeof schema.export !== "function") {
          throw new HostFailure("InvalidModules", `The default export of \`convex/${request.module}\` is not a schema (defineSchema(...)).`);
        }
        return plainJson(schema.export());
      }
      case "appDefinition": {
        const app = defaultExport(namespace, request.module, "defineApp()");
        if (typeof app.export !== "function") {
          throw new HostFailure("InvalidModules", `The default export of \`convex/${request.module}\` is not an app definition (defineApp()).`);
        }
        return plainJson(app.export());
      }
      case "authConfig": {
        const config = defaultExport(namespace, request.module, "the auth config object");
        const providers = config.providers ?? [];
        const missing = [...exec.missingEnv];
        if (missing.length > 0) {
          throw new HostFailure(
            "AuthConfigMissingEnvironmentVariable",
            `Environment variable ${missing[0]} is used in auth config file but its value was not set`,
          );
        }
        return plainJson(providers);
      }
      default:
        throw new TypeError(`convexlite: cannot evaluate "${request.what}"`);
    }
  });
}
