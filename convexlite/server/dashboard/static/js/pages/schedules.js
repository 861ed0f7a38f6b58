// Schedules: the scheduled functions still to run (`#/schedules/functions`) and the cron
// jobs with their recent runs (`#/schedules/crons`), for the app or one component.

import { componentPage } from "../component_select.js";
import { h, stylesheet } from "../dom.js";
import * as crons from "./schedules_crons.js";
import * as jobs from "./schedules_jobs.js";

const TABS = [["functions", "Scheduled functions", jobs], ["crons", "Cron jobs", crons]];

export function mount(container, session, [tab = "functions"]) {
  stylesheet("schedules");
  const [name, , module] = TABS.find(([n]) => n === tab) ?? TABS[0];
  return componentPage(container, session, {
    title: "Schedules",
    errorId: "schedules-error",
    above: h("div", { className: "tabs" }, TABS.map(([n, title]) => h("a", {
      href: `#/schedules/${n}`, id: `tab-${n}`, className: n === name ? "active" : "",
    }, title))),
    render: (body, componentId, report) => module.show(body, session, componentId, report),
  });
}
