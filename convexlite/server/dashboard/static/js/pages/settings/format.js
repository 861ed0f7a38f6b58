// How the Settings page writes sizes, counts and times.

const UNITS = ["bytes", "KB", "MB", "GB", "TB"];

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${UNITS[unit]}`;
}

export const formatCount = (n) => Number(n).toLocaleString("en-US");

// A time given in milliseconds, or an int64 of nanoseconds (a BigInt), as local time.
export function formatTime(time) {
  if (time === null || time === undefined) return "—";
  const ms = typeof time === "bigint" ? Number(time / 1000000n) : time;
  return new Date(ms).toLocaleString();
}

export function formatSeconds(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} seconds`;
}
