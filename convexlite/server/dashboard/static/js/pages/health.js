// Health: what this deployment is and whether it runs, and how its functions fared over
// the last hour (spec/operator.md §2.5): the charts refresh every 30 s while the page is open.

import { h, replace, stylesheet } from "../dom.js";
import { topK } from "./health/app_metrics.js";
import { concurrencyCards } from "./health/concurrency_cards.js";
import { facts } from "./health/facts.js";
import { functionCards } from "./health/function_cards.js";
import { topFunctions } from "./health/top_functions.js";

const REFRESH_MS = 30_000;

export function mount(container, session) {
  stylesheet("health");
  const about = facts(session);
  const functions = functionCards();
  const top = topFunctions();
  const concurrency = concurrencyCards();
  const updated = h("span", { className: "muted", id: "health-updated" });
  replace(
    container,
    h("h1", {}, "Health"),
    about.element,
    h("div", { className: "health-heading" },
      h("h2", {}, "Functions"),
      h("span", { className: "muted" }, "the last hour, refreshed every 30 s"), updated),
    h("div", { className: "cards" }, functions.elements),
    h("h2", {}, "Top functions"),
    h("section", {}, top.element),
    h("h2", {}, "Concurrency"),
    h("div", { className: "cards" }, concurrency.elements),
  );

  let controller = new AbortController();
  const refresh = () => {
    controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    const calls = topK(session, "function_call_count_top_k", 5, signal);
    calls.catch(() => {}); // each user of it shows its error
    functions.refresh(session, signal, calls);
    top.refresh(session, signal, calls);
    concurrency.refresh(session, signal);
    replace(updated, `updated ${new Date().toLocaleTimeString()}`);
  };
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => {
    clearInterval(timer);
    controller.abort();
    about.stop();
  };
}
