// How the Health page writes its numbers and names.

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export const count = (n) => compact.format(n);

export const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

export const percent = (p) => `${Number.isInteger(p) ? p : p.toFixed(1)}%`;

export function seconds(s) {
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export const milliseconds = (s) => (s === null ? "—" : `${count(Math.round(s * 1000))} ms`);

// A top-k key as a person reads it: `_rest` is everything not listed.
export const functionLabel = (key, rest = "All other functions") => (key === "_rest" ? rest : key);

// `<mutation>:<table>` (the mutation's path has a colon of its own) as "mutation → table".
export function invalidationLabel(key) {
  if (key === "_rest") return "Other";
  const colon = key.lastIndexOf(":");
  return colon < 0 ? key : `${key.slice(0, colon)} → ${key.slice(colon + 1)}`;
}

const KINDS = {
  Query: "Queries", Mutation: "Mutations", Action: "Actions", HttpAction: "HTTP actions",
};

// `outstanding_functions:<isolate|node>:<kind>:<running|queued>` as "Queries", "Node actions".
export function gaugeLabel(key) {
  const [, runtime, kind] = key.split(":");
  return runtime === "node" ? "Node actions" : KINDS[kind] ?? kind;
}
