// The rows the Logs page lists, made from the function log's entries (operator.md §5): one
// per log line (a Progress entry's line, or a Completion's `logLines`) and one "outcome"
// per finished execution, with its status, duration and error.

const KIND_LETTERS = { Query: "Q", Mutation: "M", Action: "A", HttpAction: "H" };
const KIND_NAMES = { Query: "query", Mutation: "mutation", Action: "action", HttpAction: "HTTP action" };
const STRING_LINE = /^\[(LOG|DEBUG|INFO|WARN|ERROR)\] ([\s\S]*)$/;

export const kindLetter = (udfType) => KIND_LETTERS[udfType] ?? "?";
export const kindName = (udfType) => KIND_NAMES[udfType] ?? udfType;

// "messages:send", "tally/counts:add" for a component's, "GET /hook" for an HTTP route.
export function functionName(identifier, componentPath) {
  const name = identifier.replace(/\.js:/, ":");
  return componentPath ? `${componentPath}/${name}` : name;
}

// Success or failure of a Completion; an HTTP action fails on an error or a non-2xx status.
export function outcome(entry) {
  if (entry.udfType === "HttpAction") {
    if (typeof entry.error === "string") return { status: "failure", code: "500" };
    const code = entry.success?.status ? parseInt(entry.success.status, 10) : null;
    const ok = code !== null && code >= 200 && code <= 299;
    return { status: ok ? "success" : "failure", code: code === null ? null : String(code) };
  }
  return { status: typeof entry.error === "string" ? "failure" : "success", code: null };
}

// A log line, structured or in the `"[LEVEL] text"` form other clients get.
export function parseLine(line, entry) {
  if (typeof line === "string") {
    const [, level = "LOG", text = line] = line.match(STRING_LINE) ?? [];
    return { level, text, time: entry.timestamp * 1000, truncated: false, subfunction: null };
  }
  return {
    level: line.level,
    text: line.messages.join(" "),
    time: line.timestamp || entry.timestamp * 1000,
    truncated: line.isTruncated,
    subfunction: line.udfPath ? functionName(line.udfPath, line.componentPath) : null,
  };
}

// The rows of one entry, oldest first.
export function entryRows(entry) {
  const call = functionName(entry.identifier, entry.componentPath);
  const rows = entry.logLines.map((line) => {
    const parsed = parseLine(line, entry);
    return { kind: "line", entry, call: parsed.subfunction ?? call, ...parsed };
  });
  if (entry.kind === "Completion") {
    rows.push({
      kind: "outcome", entry, call, time: entry.timestamp * 1000,
      ...outcome(entry), text: entry.error ?? "", ms: entry.executionTime * 1000,
    });
  }
  return rows;
}
