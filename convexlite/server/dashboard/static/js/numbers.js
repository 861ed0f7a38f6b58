// Sizes and counts as the pages show them.

const UNITS = ["B", "KB", "MB", "GB", "TB"];

// "512 B", "1.5 KB" (1 KB = 1,024 bytes); "—" when unknown.
export function formatBytes(size) {
  if (size === null || size === undefined) return "—";
  let value = Number(size);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

// "1,020,000".
export const formatCount = (n) => Number(n).toLocaleString("en-US");
