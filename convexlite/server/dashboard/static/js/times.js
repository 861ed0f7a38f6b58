// Times as the Files and Schedules pages show them: local date and time, and relative to
// now ("in 5 min", "3 s ago"). Convex's int64 nanosecond timestamps become milliseconds.

export const nsToMs = (ns) => Number(BigInt(ns) / 1_000_000n);

// The year only when it is not this one.
export function formatTime(ms) {
  const date = new Date(ms);
  return date.toLocaleString(undefined, {
    year: date.getFullYear() === new Date().getFullYear() ? undefined : "numeric",
    month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

const UNITS = [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1000]];

export function relativeTime(ms, now = Date.now()) {
  const delta = ms - now;
  const size = Math.abs(delta);
  const [unit, length] = UNITS.find(([, l]) => size >= l) ?? ["s", 1000];
  const count = Math.round(size / length);
  if (count === 0) return "now";
  return delta > 0 ? `in ${count} ${unit}` : `${count} ${unit} ago`;
}
