// console.*: one structured log line per call, collected in the execution record and
// returned with the result (no bridge call per line). Limits of functions.md §3.7:
// 256 lines (the last replaced by an overflow notice) and 32768 UTF-8 bytes per line.

const MAX_LOG_LINES = 256;
const MAX_LOG_LINE_BYTES = 32768;
const LOG_OVERFLOW_MESSAGE = `Log overflow (maximum ${MAX_LOG_LINES}). Remaining log lines omitted.`;

function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

// Cut `text` to at most `budget` UTF-8 bytes without splitting a code point.
function cutToBytes(text, budget) {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i);
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > budget) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, i);
}

function limitLine(messages) {
  let budget = MAX_LOG_LINE_BYTES;
  const kept = [];
  for (let i = 0; i < messages.length; i++) {
    const separator = i === 0 ? 0 : 1;
    const size = utf8Length(messages[i]);
    if (separator + size <= budget) {
      kept.push(messages[i]);
      budget -= separator + size;
      continue;
    }
    if (budget - separator > 0) kept.push(cutToBytes(messages[i], budget - separator));
    return { messages: kept, isTruncated: true };
  }
  return { messages: kept, isTruncated: false };
}

function pushLogLine(level, messages) {
  const target = execution;
  if (target === null || target.reported) return;
  const logs = target.logs;
  if (logs.length >= MAX_LOG_LINES) return;
  if (logs.length === MAX_LOG_LINES - 1) {
    recordLine(target, { level: "ERROR", messages: [LOG_OVERFLOW_MESSAGE], isTruncated: false, timestamp: realNow() });
    return;
  }
  const line = limitLine(messages);
  recordLine(target, { level, messages: line.messages, isTruncated: line.isTruncated, timestamp: realNow() });
}

// Actions' lines also go to the host as they are logged (the function log shows them
// while the action runs); queries and mutations report theirs with the result.
function recordLine(target, line) {
  target.logs.push(line);
  if (target.kind !== "action" && target.kind !== "httpAction") return;
  try {
    hostBridge("__log", JSON.stringify(line));
  } catch {
    // the line stays in the result's logs; logging never fails the function
  }
}

function logArgs(level, args) {
  pushLogLine(level, args.map((arg) => inspectTop(arg)));
}

function timerTable() {
  if (execution === null) return new Map();
  if (execution.timers === undefined) execution.timers = new Map();
  return execution.timers;
}

function counterTable() {
  if (execution === null) return new Map();
  if (execution.counters === undefined) execution.counters = new Map();
  return execution.counters;
}

const consoleObject = {
  log: (...args) => logArgs("LOG", args),
  info: (...args) => logArgs("INFO", args),
  warn: (...args) => logArgs("WARN", args),
  error: (...args) => logArgs("ERROR", args),
  debug: (...args) => logArgs("DEBUG", args),
  dir: (value) => logArgs("LOG", [value]),
  trace(...args) {
    const messages = args.map((arg) => inspectTop(arg));
    const stack = currentStackText(consoleObject.trace);
    messages.push(`Trace${stack ? `\n${stack}` : ""}`);
    pushLogLine("LOG", messages);
  },
  assert(condition, ...args) {
    if (condition) return;
    const messages = args.map((arg) => inspectTop(arg));
    if (messages.length === 0) messages.push("Assertion failed");
    else messages[0] = `Assertion failed: ${messages[0]}`;
    pushLogLine("ERROR", messages);
  },
  time(label = "default") {
    const name = String(label);
    const timers = timerTable();
    if (timers.has(name)) {
      pushLogLine("WARN", [`Timer '${name}' already exists`]);
      return;
    }
    timers.set(name, realNow());
  },
  timeLog(label = "default", ...args) {
    const name = String(label);
    const started = timerTable().get(name);
    if (started === undefined) {
      pushLogLine("WARN", [`Timer '${name}' does not exist`]);
      return;
    }
    pushLogLine("INFO", [`${name}: ${realNow() - started}ms`, ...args.map((arg) => inspectTop(arg))]);
  },
  timeEnd(label = "default") {
    const name = String(label);
    const timers = timerTable();
    const started = timers.get(name);
    if (started === undefined) {
      pushLogLine("WARN", [`Timer '${name}' does not exist`]);
      return;
    }
    timers.delete(name);
    pushLogLine("INFO", [`${name}: ${realNow() - started}ms`]);
  },
  count(label = "default") {
    const name = String(label);
    const counters = counterTable();
    const count = (counters.get(name) ?? 0) + 1;
    counters.set(name, count);
    pushLogLine("INFO", [`${name}: ${count}`]);
  },
  countReset(label = "default") {
    counterTable().delete(String(label));
  },
  group: (...args) => {
    if (args.length) logArgs("LOG", args);
  },
  groupCollapsed: (...args) => {
    if (args.length) logArgs("LOG", args);
  },
  groupEnd: () => {},
  table: (value) => logArgs("LOG", [value]),
};
defineGlobal("console", consoleObject);
