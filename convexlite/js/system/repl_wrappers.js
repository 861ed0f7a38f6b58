// `convex:/_system/repl/wrappers.js`: the `query` and `internalQuery` constructors a one-off
// test query imports (`POST /api/run_test_function`: the dashboard's custom query,
// `npx convex run --inline-query`). Pushed code brings its own copy of the `convex`
// library; a test query is a lone module, so the host provides these, written to the
// registered-function contract of spec/functions.md §3.1 and the read syscalls of §3.3:
// `ctx.db` (get, query builder, system tables, normalizeId), `ctx.auth`, `ctx.storage`
// (reads) and `ctx.runQuery`. It is defined as a module like any pushed one (a final
// export list, no imports), so the standard rewrite applies.

const MAX_OPERATORS = 256;

// ---- Convex values <-> Convex JSON (protocol.md §1) -------------------------------------

function bytesBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return btoa(text);
}

function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function float64Json(value) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return { $float: bytesBase64(new Uint8Array(view.buffer)) };
}

function toJson(value, context) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    return Number.isFinite(value) && !Object.is(value, -0) ? value : float64Json(value);
  }
  if (typeof value === "bigint") {
    if (value < -(2n ** 63n) || value >= 2n ** 63n) {
      throw new Error(`BigInt ${value} does not fit into a 64-bit signed integer.`);
    }
    const view = new DataView(new ArrayBuffer(8));
    view.setBigInt64(0, value, true);
    return { $integer: bytesBase64(new Uint8Array(view.buffer)) };
  }
  if (value instanceof ArrayBuffer) return { $bytes: bytesBase64(new Uint8Array(value)) };
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (item === undefined) throw new Error(`undefined is not a valid Convex value (at ${context}[${i}]).`);
      return toJson(item, `${context}[${i}]`);
    });
  }
  const prototype = value !== undefined && value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    const out = {};
    for (const [key, field] of Object.entries(value)) {
      if (key.startsWith("$")) throw new Error(`Field name ${key} starts with a '$', which is reserved.`);
      if (field !== undefined) out[key] = toJson(field, `${context}.${key}`);
    }
    return out;
  }
  throw new Error(`${String(value)} is not a supported Convex type (present at path ${context}).`);
}

function convexToJson(value) {
  return toJson(value, "");
}

function convexOrUndefinedToJson(value) {
  return value === undefined ? { $undefined: null } : convexToJson(value);
}

function jsonToConvex(json) {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(jsonToConvex);
  const keys = Object.keys(json);
  if (keys.length === 1) {
    const [key] = keys;
    if (key === "$integer") return new DataView(base64Bytes(json.$integer).buffer).getBigInt64(0, true);
    if (key === "$float") return new DataView(base64Bytes(json.$float).buffer).getFloat64(0, true);
    if (key === "$bytes") return base64Bytes(json.$bytes).buffer;
  }
  const out = {};
  for (const key of keys) out[key] = jsonToConvex(json[key]);
  return out;
}

// ---- syscalls ---------------------------------------------------------------------------

class ConvexError extends Error {
  constructor(data) {
    super(typeof data === "string" ? data : JSON.stringify(data));
    this.name = "ConvexError";
    this.data = data;
    this[Symbol.for("ConvexError")] = true;
  }
}

function syscall(op, args) {
  return JSON.parse(Convex.syscall(op, JSON.stringify(args)));
}

async function asyncSyscall(op, args) {
  let result;
  try {
    result = await Convex.asyncSyscall(op, JSON.stringify(args));
  } catch (error) {
    if (error?.data !== undefined) throw new ConvexError(jsonToConvex(error.data));
    throw new Error(error?.message ?? String(error));
  }
  return JSON.parse(result);
}

// ---- the query builder (functions.md §3.3.2) ----------------------------------------------

class Expression {
  constructor(inner) {
    this.inner = inner;
  }
}

function expression(value) {
  return value instanceof Expression ? value.inner : { $literal: convexOrUndefinedToJson(value) };
}

const binary = (op) => (left, right) => new Expression({ [op]: [expression(left), expression(right)] });
const filterBuilder = {
  eq: binary("$eq"), neq: binary("$neq"), lt: binary("$lt"), lte: binary("$lte"), gt: binary("$gt"),
  gte: binary("$gte"), add: binary("$add"), sub: binary("$sub"), mul: binary("$mul"), div: binary("$div"),
  mod: binary("$mod"),
  neg: (x) => new Expression({ $neg: expression(x) }),
  not: (x) => new Expression({ $not: expression(x) }),
  and: (...xs) => new Expression({ $and: xs.map(expression) }),
  or: (...xs) => new Expression({ $or: xs.map(expression) }),
  field: (fieldPath) => new Expression({ $field: fieldPath }),
};

// An index range or search filter: each call consumes the builder and returns the next.
class RangeBuilder {
  constructor(items, what) {
    this.items = items;
    this.what = what;
    this.consumed = false;
  }
  consume() {
    if (this.consumed) {
      throw new Error(`${this.what} has already been used! Chain your method calls like \`q => q.eq(...).eq(...)\`.`);
    }
    this.consumed = true;
  }
  add(item) {
    this.consume();
    return new RangeBuilder(this.items.concat(item), this.what);
  }
  bound(type, fieldPath, value) {
    return this.add({ type, fieldPath, value: convexOrUndefinedToJson(value) });
  }
  eq(fieldPath, value) { return this.bound("Eq", fieldPath, value); }
  gt(fieldPath, value) { return this.bound("Gt", fieldPath, value); }
  gte(fieldPath, value) { return this.bound("Gte", fieldPath, value); }
  lt(fieldPath, value) { return this.bound("Lt", fieldPath, value); }
  lte(fieldPath, value) { return this.bound("Lte", fieldPath, value); }
  search(fieldPath, text) { return this.add({ type: "Search", fieldPath, value: text }); }
  export() {
    this.consume();
    return this.items;
  }
}

class Query {
  constructor(query) {
    this.query = query;
    this.state = "preparing";
    this.queryId = null;
    const { source } = query;
    this.tableName = source.type === "FullTableScan" ? source.tableName : source.indexName.split(".")[0];
  }
  chain() {
    if (this.state !== "preparing") {
      throw new Error("A query can only be chained once and can't be chained after iteration begins.");
    }
    this.state = "closed";
    return this.query;
  }
  order(order) {
    const query = this.chain();
    if (query.source.type === "Search") {
      throw new Error("Search queries must always be in relevance order. Can not set order manually.");
    }
    if (query.source.order !== null) throw new Error("Queries may only specify order at most once");
    query.source.order = order;
    return new Query(query);
  }
  operator(operator) {
    const query = this.chain();
    if (query.operators.length >= MAX_OPERATORS) {
      throw new Error(`Can't construct query with more than ${MAX_OPERATORS} operators`);
    }
    query.operators.push(operator);
    return new Query(query);
  }
  filter(predicate) {
    return this.operator({ filter: expression(predicate(filterBuilder)) });
  }
  limit(n) {
    return this.operator({ limit: n });
  }
  start() {
    if (this.state === "executing") throw new Error("Iteration can only begin on a query once.");
    if (this.state !== "preparing") throw new Error("This query is closed and can't emit any more values.");
    this.queryId = syscall("1.0/queryStream", { query: this.query, version: VERSION }).queryId;
    this.state = "executing";
  }
  close() {
    if (this.state === "executing") syscall("1.0/queryCleanup", { queryId: this.queryId });
    this.state = "consumed";
  }
  [Symbol.asyncIterator]() {
    this.start();
    return this;
  }
  async next() {
    if (this.state === "preparing") this.start();
    if (this.state !== "executing") throw new Error("This query is closed and can't emit any more values.");
    const { value, done } = await asyncSyscall("1.0/queryStreamNext", { queryId: this.queryId });
    if (done) this.close();
    return { value: jsonToConvex(value), done };
  }
  return() {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }
  async collect() {
    const out = [];
    for await (const document of this) out.push(document);
    return out;
  }
  async take(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`take: \`n\` must be a non-negative integer, got ${n}`);
    return this.limit(n).collect();
  }
  async first() {
    const [found] = await this.take(1);
    return found ?? null;
  }
  async unique() {
    const found = await this.take(2);
    if (found.length === 2) {
      throw new Error(`unique() query returned more than one result from table ${this.tableName}:\n [${found[0]._id}, ${found[1]._id}, ...]`);
    }
    return found[0] ?? null;
  }
  async paginate(options) {
    if (typeof options?.numItems !== "number" || options.numItems < 0) {
      throw new Error(`\`options.numItems\` must be a positive number. Received \`${options?.numItems}\`.`);
    }
    const page = await asyncSyscall("1.0/queryPage", {
      query: this.chain(),
      cursor: options.cursor,
      endCursor: options.endCursor ?? null,
      pageSize: options.numItems,
      maximumRowsRead: options.maximumRowsRead ?? null,
      maximumBytesRead: options.maximumBytesRead,
      version: VERSION,
    });
    return { ...page, page: page.page.map(jsonToConvex) };
  }
}

class TableQuery {
  constructor(tableName) {
    this.tableName = tableName;
  }
  withIndex(indexName, range) {
    const builder = new RangeBuilder([], "IndexRangeBuilder");
    const source = {
      type: "IndexRange",
      indexName: `${this.tableName}.${indexName}`,
      range: (range === undefined ? builder : range(builder)).export(),
      order: null,
    };
    return new Query({ source, operators: [] });
  }
  withSearchIndex(indexName, filter) {
    const filters = filter(new RangeBuilder([], "SearchFilterBuilder")).export();
    return new Query({ source: { type: "Search", indexName: `${this.tableName}.${indexName}`, filters }, operators: [] });
  }
  fullTableScan() {
    return new Query({ source: { type: "FullTableScan", tableName: this.tableName, order: null }, operators: [] });
  }
  order(order) { return this.fullTableScan().order(order); }
  filter(predicate) { return this.fullTableScan().filter(predicate); }
  limit(n) { return this.fullTableScan().limit(n); }
  collect() { return this.fullTableScan().collect(); }
  take(n) { return this.fullTableScan().take(n); }
  first() { return this.fullTableScan().first(); }
  unique() { return this.fullTableScan().unique(); }
  paginate(options) { return this.fullTableScan().paginate(options); }
  [Symbol.asyncIterator]() { return this.fullTableScan()[Symbol.asyncIterator](); }
}

// ---- ctx --------------------------------------------------------------------------------

const VERSION = "1.48.0";

function reader(isSystem) {
  const checkTable = (tableName, method) => {
    if (tableName.startsWith("_") !== isSystem) {
      const system = tableName.startsWith("_");
      throw new Error(`${system ? "System" : "User"} tables can only be accessed from db.${isSystem ? "" : "system."}${method}().`);
    }
  };
  const get = async (table, id) => {
    if (typeof id !== "string") {
      throw new Error(`Invalid argument \`id\` for \`db.get\`, expected string but got '${typeof id}': ${id}`);
    }
    return jsonToConvex(await asyncSyscall("1.0/get", { id, isSystem, version: VERSION, table }));
  };
  return {
    get: (first, second) => (second === undefined ? get(undefined, first) : get(first, second)),
    query: (tableName) => {
      checkTable(tableName, "query");
      return new TableQuery(tableName);
    },
    normalizeId: (tableName, id) => {
      checkTable(tableName, "normalizeId");
      return jsonToConvex(syscall("1.0/db/normalizeId", { table: tableName, idString: id })).id;
    },
  };
}

function functionAddress(reference) {
  if (typeof reference === "string") {
    return reference.startsWith("function://") ? { functionHandle: reference } : { name: reference };
  }
  const name = reference?.[Symbol.for("functionName")];
  if (typeof name !== "string") throw new Error(`${String(reference)} is not a function reference`);
  return { name };
}

function queryCtx() {
  const db = reader(false);
  db.system = reader(true);
  return {
    db,
    auth: { getUserIdentity: () => asyncSyscall("1.0/getUserIdentity", { requestId: "" }) },
    storage: {
      getUrl: (storageId) => asyncSyscall("1.0/storageGetUrl", { requestId: "", version: VERSION, storageId }),
      getMetadata: (storageId) => asyncSyscall("1.0/storageGetMetadata", { requestId: "", version: VERSION, storageId }),
    },
    runQuery: async (reference, args) => jsonToConvex(await asyncSyscall("1.0/runUdf", {
      udfType: "query",
      ...functionAddress(reference),
      args: convexToJson(args ?? {}),
      version: VERSION,
    })),
  };
}

// A ConvexError's data travels as its Convex JSON text (functions.md §3.1).
function serializedError(thrown) {
  if (thrown !== null && typeof thrown === "object" && Symbol.for("ConvexError") in thrown) {
    thrown.data = JSON.stringify(convexToJson(thrown.data === undefined ? null : thrown.data));
    thrown.ConvexErrorSymbol = Symbol.for("ConvexError");
  }
  return thrown;
}

async function invokeQuery(handler, argsJson) {
  const args = jsonToConvex(JSON.parse(argsJson));
  let result;
  try {
    result = await handler(queryCtx(), ...args);
  } catch (thrown) {
    throw serializedError(thrown);
  }
  if (result instanceof Query || result instanceof TableQuery) {
    throw new Error("Return value is a Query. Results must be retrieved with `.collect()`, `.take(n), `.unique()`, or `.first()`.");
  }
  return JSON.stringify(convexToJson(result === undefined ? null : result));
}

function registered(definition, visibility) {
  const handler = typeof definition === "function" ? definition : definition?.handler;
  if (typeof handler !== "function") throw new Error("query() expects a function or an object with a `handler`");
  const func = (ctx, args) => handler(ctx, args);
  func.isQuery = true;
  func[visibility] = true;
  func.invokeQuery = (argsJson) => invokeQuery(handler, argsJson);
  func.exportArgs = () => '{"type":"any"}';
  func.exportReturns = () => "null";
  func._handler = handler;
  return func;
}

const query = (definition) => registered(definition, "isPublic");
const internalQuery = (definition) => registered(definition, "isInternal");

export { query, internalQuery };
