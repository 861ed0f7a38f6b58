// The calls the official self-hosted dashboard (ghcr.io/get-convex/convex-dashboard) makes
// for the P0 rows of spec/operator.md §8, made the way it makes them: from a page on its
// own origin (another port, served by the test, not by convexlite, as the image serves
// it on 6791), so every HTTP call is cross-origin with a CORS preflight and the WebSocket
// is a cross-origin one, with `Convex-Client: dashboard-0.0.0` and the admin key in
// `Authorization` / `setAdminAuth`. One step line per row. Usage:
//   node official_calls.mjs <deployment url> <admin key> <the dashboard's origin>
import { check, run, step } from "./browser_harness.mjs";

const [url, adminKey, origin] = process.argv.slice(2);

await run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(`${origin}/data`);
  await page.evaluate(([deployment, key]) => {
    const client = new convex.ConvexClient(deployment, { unsavedChangesWarning: false });
    client.setAdminAuth(key);
    const headers = {
      Authorization: `Convex ${key}`,
      "Convex-Client": "dashboard-0.0.0",
      "Content-Type": "application/json",
    };
    const http = async (method, path, body) => {
      const response = await fetch(`${deployment}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const page1 = { numItems: 25, cursor: null };
    window.official = { client, http, page1, q: (p, a) => client.query(p, a), m: (p, a) => client.mutation(p, a) };
  }, [url, adminKey]);
  const call = (body) => page.evaluate(body);

  check((await call(() => official.http("GET", "/api/check_admin_key"))) !== undefined, "key");
  step("1 login: check_admin_key with CORS, Authenticate(Admin) over a cross-origin WebSocket");

  const layout = await call(async () => {
    const { q } = official;
    return [
      await q("_system/frontend/components:list", {}),
      await q("_system/frontend/modules:listForAllComponents", {}),
      await q("_system/frontend/backendState:backendState", {}),
      await q("_system/frontend/deploymentState:deploymentState", {}),
    ];
  });
  check(Array.isArray(layout[0]) && Array.isArray(layout[1]), JSON.stringify(layout));
  check(layout[3].state === "running", JSON.stringify(layout[3]));
  step("2 layout: components, modules, backend and deployment state");

  const tables = await call(async () => {
    const { q, m } = official;
    await m("_system/frontend/createTable:default", { table: "made_here", componentId: null });
    return Object.values(await q("_system/frontend/getTableMapping:default", { componentId: null }));
  });
  check(tables.includes("made_here") && tables.includes("messages"), JSON.stringify(tables));
  step("3 data: table list, create table");

  const browse = await call(async () => {
    const { q, page1 } = official;
    const filters = (expression) => btoa(JSON.stringify(expression)).replace(/=+$/, "");
    const all = await q("_system/frontend/paginatedTableDocuments:default",
      { table: "messages", filters: null, componentId: null, paginationOpts: page1 });
    const asc = await q("_system/frontend/paginatedTableDocuments:default",
      { table: "messages", filters: filters({ clauses: [], order: "asc" }), componentId: null,
        paginationOpts: page1 });
    const eq = await q("_system/frontend/paginatedTableDocuments:default", {
      table: "messages", componentId: null, paginationOpts: page1,
      filters: filters({ clauses: [{ id: "a", field: "author", enabled: true, op: "eq", value: "ada" }] }),
    });
    const size = await q("_system/frontend/tableSize:default", { tableName: "messages", componentId: null });
    return { all: all.page.map((d) => d.body), asc: asc.page.map((d) => d.body), eq: eq.page.map((d) => d.author), size };
  });
  check(browse.size === 3 && browse.all[0] === "third" && browse.asc[0] === "first", JSON.stringify(browse));
  check(browse.eq.length === 1 && browse.eq[0] === "ada", JSON.stringify(browse));
  step("4-5 data: paginated browse both ways, a filter, the table size");

  const edited = await call(async () => {
    const { q, m, page1 } = official;
    await m("_system/frontend/addDocument:default",
      { table: "messages", documents: [{ author: "dash", body: "added" }], componentId: null });
    const docs = async () => (await q("_system/frontend/paginatedTableDocuments:default",
      { table: "messages", filters: null, componentId: null, paginationOpts: page1 })).page;
    const added = (await docs()).find((d) => d.body === "added");
    await m("_system/frontend/patchDocumentsFields:default",
      { table: "messages", fields: { body: "patched" }, ids: [added._id], componentId: null });
    await m("_system/frontend/replaceDocument:default",
      { id: added._id, document: { author: "dash", body: "replaced" }, componentId: null });
    const replaced = (await docs()).find((d) => d._id === added._id)?.body;
    await m("_system/frontend/deleteDocuments:default",
      { toDelete: [{ id: added._id, tableName: "messages" }], componentId: null });
    return { replaced, left: (await docs()).length };
  });
  check(edited.replaced === "replaced" && edited.left === 3, JSON.stringify(edited));
  step("7 data: add, edit cells, replace, delete documents");

  const cleared = await call(async () => {
    const { q, m, http } = official;
    await m("_system/frontend/addDocument:default",
      { table: "made_here", documents: [{ n: 1 }, { n: 2 }], componentId: null });
    let result = { hasMore: true, continueCursor: null };
    while (result.hasMore) {
      result = await m("_system/frontend/clearTablePage:default",
        { tableName: "made_here", cursor: result.continueCursor ?? null, componentId: null });
    }
    const size = await q("_system/frontend/tableSize:default", { tableName: "made_here", componentId: null });
    await http("POST", "/api/delete_tables", { tableNames: ["made_here"], componentId: null });
    const tables = Object.values(await q("_system/frontend/getTableMapping:default", { componentId: null }));
    const shapes = await http("GET", "/api/shapes2");
    return { size, gone: !tables.includes("made_here"), shapes: typeof shapes };
  });
  check(cleared.size === 0 && cleared.gone && cleared.shapes === "object", JSON.stringify(cleared));
  step("8, 11 data: clear table, delete table, shapes2 answers");

  const functions = await call(async () => {
    const { q, m, client } = official;
    const modules = await q("_system/frontend/modules:listForAllComponents", {});
    const version = await q("_system/frontend/getVersion:default", {});
    const site = await q("_system/frontend/convexSiteUrl:default", {});
    const validator = await q("_system/frontend/modules:argsValidator",
      { componentId: null, function: "messages:send" });
    const cursor = Date.now() - 1;
    await client.mutation("messages:send", { author: "runner", body: "from the runner" });
    let entries = [];
    for (let i = 0; i < 20 && !entries.some((e) => e.kind === "Completion"); i++) {
      const batch = await official.http("GET", `/api/app_metrics/stream_function_logs?cursor=${cursor}`);
      entries = entries.concat(batch.entries.filter((e) => e.identifier === "messages:send"));
    }
    const completion = entries.find((e) => e.kind === "Completion");
    return {
      modules: JSON.stringify(modules).includes("send"), version, site,
      validator: JSON.parse(validator), lines: completion?.logLines ?? null,
    };
  });
  check(functions.modules && typeof functions.site === "string", JSON.stringify(functions));
  check(functions.validator.type === "object", JSON.stringify(functions.validator));
  const line = functions.lines?.[0];
  check(line && typeof line === "object" && line.messages.join(" ").includes("sending"),
    `structured log lines expected: ${JSON.stringify(functions.lines)}`);
  step("13-14, 19 functions: module tree, version, site URL, args validator, run a mutation, its structured log");

  const files = await call(async () => {
    const { q, m, page1 } = official;
    const uploadUrl = await m("_system/frontend/fileStorageV2:generateUploadUrl", { componentId: null });
    const uploaded = await fetch(uploadUrl, {
      method: "POST", headers: { "Content-Type": "text/plain" }, body: "hello from 6791",
    });
    const { storageId } = await uploaded.json();
    const count = await q("_system/frontend/fileStorageV2:numFiles", { componentId: null });
    const listed = await q("_system/frontend/fileStorageV2:fileMetadata",
      { paginationOpts: page1, componentId: null });
    const file = await q("_system/frontend/fileStorageV2:getFile", { storageId, componentId: null });
    const body = await (await fetch(file.url)).text();
    await m("_system/frontend/fileStorageV2:deleteFiles", { storageIds: [storageId], componentId: null });
    const after = await q("_system/frontend/fileStorageV2:numFiles", { componentId: null });
    return { count, listed: listed.page.length, body, after };
  });
  check(files.count === 1 && files.listed === 1 && files.body === "hello from 6791" && files.after === 0,
    JSON.stringify(files));
  step("23-24 files: upload cross-origin, count, list, download, delete");

  const schedules = await call(async () => {
    const { q, http, client, page1 } = official;
    await client.mutation("messages:later", { body: "one" });
    await client.mutation("messages:later", { body: "two" });
    const jobs = async () => (await q("_system/frontend/paginatedScheduledJobs:default",
      { paginationOpts: page1, componentId: null })).page;
    const pending = await jobs();
    const args = await q("_system/frontend/scheduler:getArgs", { argsId: pending[0].argsId, componentId: null });
    await http("POST", "/api/cancel_job", { id: pending[0]._id, componentId: null });
    const afterOne = (await jobs()).length;
    await http("POST", "/api/cancel_all_jobs", { componentId: null });
    return { before: pending.length, args: args !== null, afterOne, afterAll: (await jobs()).length };
  });
  check(schedules.before === 2 && schedules.args && schedules.afterOne === 1 && schedules.afterAll === 0,
    JSON.stringify(schedules));
  step("25 schedules: scheduled runs, their args, cancel one, cancel all");

  browser.expectError(/Cannot run functions while this deployment is paused/);
  const settings = await call(async () => {
    const { q, http, client } = official;
    await http("POST", "/api/v1/pause_deployment");
    const paused = (await q("_system/frontend/deploymentState:deploymentState", {})).state;
    const refused = await client.mutation("messages:send", { author: "x", body: "paused" }).then(
      () => "ran", (e) => String(e.message));
    await http("POST", "/api/v1/unpause_deployment");
    const running = (await q("_system/frontend/deploymentState:deploymentState", {})).state;
    await http("POST", "/api/update_environment_variables",
      { changes: [{ name: "FROM_6791", value: "yes" }] });
    const variables = await q("_system/frontend/listEnvironmentVariables", {});
    const sinks = await q("_system/frontend/listConfiguredSinks:default", {});
    return { paused, refused, running, variables, sinks };
  });
  check(settings.paused === "paused" && settings.running === "running", JSON.stringify(settings));
  check(/paused/i.test(settings.refused), settings.refused);
  check(JSON.stringify(settings.variables).includes("FROM_6791") && settings.sinks.length === 0,
    JSON.stringify(settings));
  step("30-31, 34 settings: pause and resume, environment variables, log sinks");

  await call(() => official.client.close());
  browser.checkNoProblems();
  step("no console errors, no request outside 127.0.0.1");
});
