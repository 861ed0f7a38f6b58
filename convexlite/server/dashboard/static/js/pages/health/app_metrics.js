// Reading `GET /api/app_metrics/<route>` as the official dashboard does (spec/operator.md
// §4.6): a window over the last hour, and the answers' `[timestamp, value]` pairs as
// `[Date, number | null]`.

const HOUR_MS = 60 * 60 * 1000;

const instant = (ms) => ({
  secs_since_epoch: Math.floor(ms / 1000),
  nanos_since_epoch: (ms % 1000) * 1_000_000,
});

// The last hour ending now, in `buckets` buckets (60: one a minute; 1: the whole hour).
export function lastHour(buckets) {
  const end = Date.now();
  return JSON.stringify({ start: instant(end - HOUR_MS), end: instant(end), num_buckets: buckets });
}

const date = (t) => new Date(t.secs_since_epoch * 1000 + t.nanos_since_epoch / 1e6);
const points = (series) => series.map(([t, value]) => [date(t), value]);

// The JSON of one route over the last hour; `params` are its other query parameters.
export function appMetrics(session, route, params, signal, buckets = 60) {
  const query = new URLSearchParams({ window: lastHour(buckets), ...params });
  return session.call("GET", `/api/app_metrics/${route}?${query}`, undefined, signal);
}

// A top-k route's `[[key, series], ...]` as `[{key, points}]`.
export async function topK(session, route, k, signal, buckets = 60) {
  const answer = await appMetrics(session, route, { k: String(k) }, signal, buckets);
  return answer.map(([key, series]) => ({ key, points: points(series) }));
}

// One series route (`scheduled_job_lag`) as points.
export async function timeseries(session, route, signal) {
  return points(await appMetrics(session, route, {}, signal));
}

// `function_concurrency`'s `{gauge name: series}` as `[{key, points}]`.
export async function gauges(session, route, signal) {
  const answer = await appMetrics(session, route, {}, signal);
  return Object.entries(answer).map(([key, series]) => ({ key, points: points(series) }));
}

// A function's latency percentiles (in seconds) over the whole hour: `{50: s, 90: s, ...}`.
export async function latencies(session, key, percentiles, signal) {
  const params = { path: key, percentiles: JSON.stringify(percentiles) };
  if (isHttpRoute(key)) params.udfType = "HttpAction";
  const answer = await appMetrics(session, "latency_percentiles", params, signal, 1);
  return Object.fromEntries(answer.map(([p, series]) => [p, series[0][1]]));
}

// HTTP actions are named by their route (`GET /hello`), functions by path (`a.js:f`).
export const isHttpRoute = (key) => /^[A-Z]+ \//.test(key);
