// The Concurrency charts: how far behind the scheduler is, the functions running and
// queued (each minute's peak), and the subscriptions mutations invalidated.

import { chartTotal, latestPoint } from "../../charts.js";
import { gauges, timeseries, topK } from "./app_metrics.js";
import { card, labelled } from "./card.js";
import { count, gaugeLabel, invalidationLabel, plural, seconds } from "./format.js";

function lagChart(points) {
  const latest = latestPoint(points);
  return {
    headline: latest ? `${seconds(latest[1])} behind now` : undefined,
    chart: {
      series: [{ key: "lag", label: "Lag of the earliest due job", points }],
      format: seconds, axis: "seconds behind", empty: "No scheduler activity in the last hour",
    },
  };
}

// One state's gauges: a line per kind of function that had any, else one line of zeros.
function concurrencyChart(all, state) {
  const mine = all.filter((g) => g.key.endsWith(`:${state}`));
  const busy = mine.filter((g) => g.points.some(([, v]) => v > 0));
  const series = busy.length
    ? busy.map((g) => ({ ...g, label: gaugeLabel(g.key) }))
    : mine.slice(0, 1).map((g) => ({ ...g, key: "all", label: "All functions" })); // all 0
  const peak = Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v ?? 0)));
  return {
    headline: `at most ${count(peak)} ${state} at once in the last hour`,
    chart: {
      series, format: count, axis: `functions ${state}`, integers: true,
      empty: "No data for the last hour yet",
    },
  };
}

function invalidationsChart(series) {
  return {
    headline: `${plural(chartTotal(series), "invalidation")} in the last hour`,
    chart: {
      series: labelled(series, invalidationLabel),
      format: count, axis: "invalidations / minute", integers: true,
      empty: "No subscription was invalidated in the last hour",
    },
  };
}

export function concurrencyCards() {
  const lag = card("lag", "Scheduler lag",
    "How long the earliest due scheduled function has been waiting to run.");
  const running = card("running", "Running functions",
    "The most functions running at the same time in each minute.");
  const queued = card("queued", "Queued functions",
    "The most functions waiting for their turn to run in each minute.");
  const invalidations = card("invalidations", "Subscription invalidations",
    "The mutations and tables whose writes made subscribed queries run again, per minute.");
  return {
    elements: [lag.element, running.element, queued.element, invalidations.element],
    refresh(session, signal) {
      lag.load(timeseries(session, "scheduled_job_lag", signal).then(lagChart));
      const levels = gauges(session, "function_concurrency", signal);
      running.load(levels.then((all) => concurrencyChart(all, "running")));
      queued.load(levels.then((all) => concurrencyChart(all, "queued")));
      invalidations.load(
        topK(session, "subscription_invalidations_top_k", 3, signal).then(invalidationsChart));
    },
  };
}
