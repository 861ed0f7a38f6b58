// Small time-series line charts drawn as inline SVG (no chart library): axes with time and
// value ticks, one line per series with a dot at its latest point, a legend giving each
// series' latest value, and an empty state instead of a chart when there is nothing to draw.

import { h, stylesheet } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const HEIGHT = 180;
const MARGIN = { top: 24, right: 12, bottom: 34, left: 46 };
const COLORS = ["#2b5fd9", "#d9822b", "#2e9e5b", "#b3261e", "#8a4fd9", "#0f8a9e"];
export const REST_COLOR = "#999";

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const timeLabel = (date) =>
  date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

// The last non-null point of a series, or undefined.
export function latestPoint(points) {
  for (let i = points.length - 1; i >= 0; i--) if (points[i][1] !== null) return points[i];
  return undefined;
}

export const seriesTotal = (points) => points.reduce((sum, [, value]) => sum + (value ?? 0), 0);

// The sum of every value of every series (a count chart's total).
export const chartTotal = (series) => series.reduce((sum, s) => sum + seriesTotal(s.points), 0);

// About four round steps from 0 to at least `max` (1, 2 or 5 times a power of ten).
function ticks(max, integers) {
  const rough = (max > 0 ? max : 1) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  if (integers) step = Math.max(1, Math.round(step));
  const values = [0];
  while (values[values.length - 1] < max || values.length < 2) values.push(values.length * step);
  return values;
}

// `series`: [{key, label, color?, points: [[Date, number | null]]}].
// `format(value)` writes a value with its unit; `axis` names the values ("calls / minute");
// `max` fixes the top of the value axis (100 for percentages); `integers` keeps ticks whole;
// `empty` is the sentence shown when no series has a value.
export function timeChart({ id, series, format, axis, max, integers = false, empty }) {
  stylesheet("charts");
  const figure = h("figure", { className: "chart", id });
  if (!series.some((s) => s.points.some(([, value]) => value !== null))) {
    figure.dataset.empty = "true";
    figure.append(h("p", { className: "chart-empty muted" }, empty));
    return figure;
  }
  figure.dataset.total = String(chartTotal(series)); // for whoever reads the page
  const colored = series.map((s, i) => ({ ...s, color: s.color ?? COLORS[i % COLORS.length] }));
  figure.append(plot(colored, { format, axis, max, integers }), legend(colored, format));
  return figure;
}

function plot(series, { format, axis, max, integers }) {
  const times = series[0].points.map(([time]) => time.getTime());
  const [t0, t1] = [times[0], times[times.length - 1]];
  const highest = Math.max(...series.flatMap((s) => s.points.map(([, v]) => v ?? 0)));
  const yTicks = ticks(max ?? highest, integers);
  const top = max ?? yTicks[yTicks.length - 1];
  const [left, right] = [MARGIN.left, WIDTH - MARGIN.right];
  const [y0, y1] = [HEIGHT - MARGIN.bottom, MARGIN.top];
  const span = t1 - t0 || 1; // one point: at the left
  const x = (t) => left + ((t - t0) / span) * (right - left);
  const y = (v) => y0 - (v / top) * (y0 - y1);

  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", class: "chart-plot",
    "aria-label": `${axis} over the last hour`,
  });
  for (const value of yTicks.filter((v) => v <= top)) {
    root.append(
      svg("line", { x1: left, x2: right, y1: y(value), y2: y(value), class: "chart-grid" }),
      svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "chart-tick" },
        format(value)));
  }
  const quarter = 15 * 60 * 1000;
  for (let t = Math.ceil(t0 / quarter) * quarter; t <= t1; t += quarter) {
    root.append(
      svg("line", { x1: x(t), x2: x(t), y1: y0, y2: y0 + 4, class: "chart-axis" }),
      svg("text", { x: x(t), y: y0 + 16, "text-anchor": "middle", class: "chart-tick" },
        timeLabel(new Date(t))));
  }
  root.append(
    svg("line", { x1: left, x2: right, y1: y0, y2: y0, class: "chart-axis" }),
    svg("text", { x: (left + right) / 2, y: HEIGHT - 3, "text-anchor": "middle",
      class: "chart-axis-label" }, "time"),
    svg("text", { x: 4, y: 11, class: "chart-axis-label" }, axis));
  for (const s of series) root.append(...line(s, x, y, format));
  return root;
}

// The series' path, broken where a value is null; dots where a point stands alone or is
// the latest; and on every point a dot showing when hovered, titled with its value.
function line(series, x, y, format) {
  const { points, color, label } = series;
  const latest = latestPoint(points);
  const dots = [];
  let d = "";
  points.forEach(([time, value], i) => {
    if (value === null) return;
    const [px, py] = [x(time.getTime()), y(value)];
    const joined = i > 0 && points[i - 1][1] !== null;
    d += `${joined ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`;
    const alone = !joined && points[i + 1]?.[1] == null;
    if (alone || points[i] === latest) {
      dots.push(svg("circle", { cx: px, cy: py, r: 2.5, fill: color }));
    }
    dots.push(svg("circle", { cx: px, cy: py, r: 4, fill: color, class: "chart-point" },
      svg("title", {}, `${timeLabel(time)} ${label}: ${format(value)}`)));
  });
  return [svg("path", { d, fill: "none", stroke: color, "stroke-width": 1.6 }), ...dots];
}

function legend(series, format) {
  const head = h("li", { className: "chart-legend-head muted" },
    h("span", { className: "chart-series" }), h("span", {}, "latest"));
  return h("ul", { className: "chart-legend" }, head, series.map((s) => {
    const latest = latestPoint(s.points);
    const item = h("li", { title: s.label },
      svg("svg", { viewBox: "0 0 12 12", class: "chart-swatch", "aria-hidden": "true" },
        svg("line", { x1: 0, y1: 6, x2: 12, y2: 6, stroke: s.color, "stroke-width": 3 })),
      h("span", { className: "chart-series" }, s.label),
      h("span", { className: "chart-latest", title: latest && `at ${timeLabel(latest[0])}` },
        latest ? format(latest[1]) : "—"));
    item.dataset.key = s.key;
    item.dataset.total = String(seriesTotal(s.points));
    if (latest) item.dataset.latest = String(latest[1]);
    return item;
  }));
}
