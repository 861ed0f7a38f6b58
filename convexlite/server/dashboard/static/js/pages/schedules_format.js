// What both Schedules tabs show the same way: a function's path and a run's arguments.

// "jobs.js:fire" as written in code: "jobs:fire" ("jobs:default" stays as is).
export const functionName = (udfPath) => udfPath.replace(/\.js(:|$)/, "$1");

// Arguments stored as bytes (UTF-8 JSON of the argument array, in Convex's JSON encoding):
// the one argument object as that JSON.
export function argsText(bytes) {
  const text = new TextDecoder().decode(bytes);
  try {
    const args = JSON.parse(text);
    return JSON.stringify(Array.isArray(args) && args.length === 1 ? args[0] : args);
  } catch {
    return text;
  }
}
