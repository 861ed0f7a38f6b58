// One chart of the Health page: a title with what it measures, a headline number, and the
// chart (or the reason it could not be loaded).

import { h, replace } from "../../dom.js";
import { REST_COLOR, timeChart } from "../../charts.js";
import { errorText } from "../../session.js";

export function card(id, title, tip) {
  const headline = h("p", { className: "card-headline", id: `${id}-headline` });
  const body = h("div", { className: "card-body" }, h("p", { className: "muted" }, "Loading…"));
  const element = h("article", { className: "card", id: `card-${id}` },
    h("h3", {}, title), h("p", { className: "muted card-tip" }, tip), headline, body);
  return {
    element,
    // `chart` is `timeChart`'s options; `text` the headline.
    show(chart, text) {
      replace(headline, text);
      replace(body, timeChart({ id: `chart-${id}`, ...chart }));
    },
    fail(error) {
      replace(headline);
      const message = `Could not load this chart: ${errorText(error)}`;
      replace(body, h("p", { className: "error" }, message));
    },
    // Shows what `loading` resolves to, `{chart, headline}`; a refresh cut short by leaving
    // the page is no error.
    load(loading) {
      loading.then(({ chart, headline: text }) => this.show(chart, text),
        (error) => aborted(error) || this.fail(error));
    },
  };
}

export const aborted = (error) => error?.name === "AbortError";

// A top-k answer's series named by `label(key)`, the rest of them in grey.
export const labelled = (series, label) =>
  series.map((s) => ({
    ...s, label: label(s.key), color: s.key === "_rest" ? REST_COLOR : undefined,
  }));
