// The Functions charts: calls, failure rate and cache hit rate per minute over the last
// hour, for the top functions (`*_top_k`, as the official dashboard's Health page).

import { chartTotal } from "../../charts.js";
import { topK } from "./app_metrics.js";
import { card, labelled } from "./card.js";
import { count, functionLabel, percent, plural } from "./format.js";

const queryLabel = (key) => functionLabel(key, "All other queries");

function callsChart(series) {
  return {
    headline: `${plural(chartTotal(series), "call")} in the last hour`,
    chart: {
      series: labelled(series, functionLabel), format: count, axis: "calls / minute",
      integers: true, empty: "No function calls in the last hour",
    },
  };
}

function failureChart(series) {
  const worst = series.find((s) => s.key !== "_rest");
  return {
    headline: worst ? `Most failures: ${worst.key}` : "No failures in the last hour",
    chart: {
      series: labelled(series, functionLabel), format: percent, axis: "% of calls failed", max: 100,
      empty: "No function calls in the last hour",
    },
  };
}

function cacheChart(series) {
  return {
    chart: {
      series: labelled(series, queryLabel), format: percent,
      axis: "% of query calls cached", max: 100, empty: "No query calls in the last hour",
    },
  };
}

export function functionCards() {
  const calls = card("calls", "Function calls",
    "The most called functions, calls per minute.");
  const failures = card("failures", "Failure rate",
    "The functions failing most often, the share of their calls that failed per minute.");
  const cache = card("cache", "Cache hit rate",
    "The queries with the lowest share of calls answered from the cache, per minute.");
  return {
    elements: [calls.element, failures.element, cache.element],
    // `callSeries`: the calls top-k, which the top functions' table shares.
    refresh(session, signal, callSeries) {
      calls.load(callSeries.then(callsChart));
      failures.load(topK(session, "failure_percentage_top_k", 3, signal).then(failureChart));
      cache.load(topK(session, "cache_hit_percentage_top_k", 3, signal).then(cacheChart));
    },
  };
}
