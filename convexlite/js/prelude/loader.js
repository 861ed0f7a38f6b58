// Module loader for the factories registered by rewritten modules
// (convexlite/js/esm_rewrite.py): a context holds the push's factories once and
// creates fresh module instances ("instance sets") per execution, so module state
// never leaks between requests. Loading is synchronous and depth-first in import
// order, which is ESM evaluation order for esbuild's acyclic chunk graph.
// Defining a module again replaces its factory: instances of a new definition get
// type feedback of their own, which V8 needs to optimize CPU-heavy code again
// (JsRuntime's fresh runs); the instance prepared from the old one is dropped.

const moduleFactories = new Map();

function defineModule(path, deps, init) {
  if (typeof path !== "string" || !Array.isArray(deps) || typeof init !== "function") {
    throw new TypeError("__cvx.define(path, deps, init): bad arguments");
  }
  if (moduleFactories.has(path)) discardPrepared();
  moduleFactories.set(path, { deps: deps.slice(), init });
}

class ModuleNotFound extends Error {}

function moduleInstances() {
  const loaded = new Map();
  const loading = new Set();
  function load(path) {
    const done = loaded.get(path);
    if (done !== undefined) return done;
    const factory = moduleFactories.get(path);
    if (factory === undefined) throw new ModuleNotFound(`no module ${path}`);
    if (loading.has(path)) throw new Error(`import cycle through ${path}`);
    loading.add(path);
    for (const dep of factory.deps) load(dep);
    const namespace = factory.init.call(undefined, (dep) => {
      const ns = loaded.get(dep);
      if (ns === undefined) throw new Error(`${path} imports undeclared ${dep}`);
      return ns;
    });
    Object.defineProperty(namespace, Symbol.toStringTag, { value: "Module" });
    Object.freeze(namespace);
    loading.delete(path);
    loaded.set(path, namespace);
    return namespace;
  }
  return { import: load };
}
