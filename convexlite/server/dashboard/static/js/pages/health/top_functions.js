// The top functions over the whole last hour: the most called (with their latency
// percentiles), the most failing, and the queries with the lowest cache hit rate.

import { h, replace } from "../../dom.js";
import { seriesTotal } from "../../charts.js";
import { latencies, topK } from "./app_metrics.js";
import { aborted } from "./card.js";
import { count, functionLabel, milliseconds, percent } from "./format.js";
import { errorText } from "../../session.js";

const PERCENTILES = [50, 90, 95, 99];

function table(id, headings, rows, empty) {
  if (rows.length === 0) return h("p", { className: "muted", id }, empty);
  return h("table", { className: "grid top", id },
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", {}, text)))),
    h("tbody", {}, rows));
}

function row(key, label, value, ...cells) {
  const tr = h("tr", {}, h("td", { title: key }, label), cells.map((c) => h("td", {}, c)));
  tr.dataset.key = key;
  tr.dataset.value = String(value);
  return tr;
}

async function mostCalled(session, signal, callSeries) {
  const called = (await callSeries).map((s) => ({ key: s.key, calls: seriesTotal(s.points) }));
  const timed = await Promise.all(called.map(({ key }) =>
    key === "_rest" ? null : latencies(session, key, PERCENTILES, signal)));
  const rows = called.map(({ key, calls }, i) =>
    row(key, functionLabel(key), calls, count(calls),
      ...PERCENTILES.map((p) => (timed[i] ? milliseconds(timed[i][p]) : ""))));
  return table("top-calls", ["Function", "Calls", ...PERCENTILES.map((p) => `p${p}`)], rows,
    "No function calls in the last hour");
}

// A top-k rate over the hour (one bucket): a row per function with calls in it; `rest`
// names the functions not listed.
async function rates(session, signal, { route, id, headings, empty, rest }) {
  const listed = await topK(session, route, 5, signal, 1);
  const rows = listed.filter((s) => s.points[0][1] !== null).map(({ key, points: [[, rate]] }) =>
    row(key, functionLabel(key, rest), rate, percent(rate)));
  return table(id, headings, rows, empty);
}

// A list whose content each refresh replaces once it has loaded.
function section(title) {
  const body = h("div", {}, h("p", { className: "muted" }, "Loading…"));
  return {
    element: h("div", { className: "top-list" }, h("h3", {}, title), body),
    load(loading) {
      loading.then((content) => replace(body, content), (error) =>
        aborted(error) || replace(body, h("p", { className: "error" }, errorText(error))));
    },
  };
}

export function topFunctions() {
  const called = section("Most called");
  const failing = section("Most failures");
  const cached = section("Lowest cache hit rate");
  return {
    element: h("div", { className: "top-functions" },
      called.element, failing.element, cached.element),
    refresh(session, signal, callSeries) {
      called.load(mostCalled(session, signal, callSeries));
      failing.load(rates(session, signal, {
        route: "failure_percentage_top_k", id: "top-failures",
        headings: ["Function", "Failure rate"], empty: "No function calls in the last hour",
      }));
      cached.load(rates(session, signal, {
        route: "cache_hit_percentage_top_k", id: "top-cache",
        headings: ["Query", "Cache hit rate"], empty: "No query calls in the last hour",
        rest: "All other queries",
      }));
    },
  };
}
