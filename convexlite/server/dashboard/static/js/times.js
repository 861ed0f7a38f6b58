// Times as the pages show them, in the browser's time zone. Convex's int64 nanosecond
// timestamps become milliseconds first (`nsToMs`).

export const nsToMs = (ns) => Number(BigInt(ns) / 1_000_000n);

const pad = (n, width = 2) => String(n).padStart(width, "0");

// "14:03:07.123": a log line's time of day, to the millisecond.
export function timeOfDay(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// "2026-12-05 14:03:07": a date and time, sortable.
export function dateTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "Dec 5, 14:03:07" in the browser's locale, the year only when it is not this one, of
// milliseconds or of an int64 of nanoseconds; "—" when unknown.
export function formatTime(time) {
  if (time === null || time === undefined) return "—";
  const date = new Date(typeof time === "bigint" ? nsToMs(time) : time);
  return date.toLocaleString(undefined, {
    year: date.getFullYear() === new Date().getFullYear() ? undefined : "numeric",
    month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

const UNITS = [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1000]];

// "in 5 min", "3 s ago", "now".
export function relativeTime(ms, now = Date.now()) {
  const delta = ms - now;
  const size = Math.abs(delta);
  const [unit, length] = UNITS.find(([, l]) => size >= l) ?? ["s", 1000];
  const count = Math.round(size / length);
  if (count === 0) return "now";
  return delta > 0 ? `in ${count} ${unit}` : `${count} ${unit} ago`;
}

// "12 ms", "1.25 s".
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
