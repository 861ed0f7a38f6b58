// Schedules: the scheduled functions still to run (`#/schedules/functions`) and the cron
// jobs with their recent runs (`#/schedules/crons`), for the app or one component.

import { componentPicker } from "../component_select.js";
import { h, replace, stylesheet } from "../dom.js";
import { errorText } from "../session.js";
import * as crons from "./schedules_crons.js";
import * as jobs from "./schedules_jobs.js";

const TABS = [["functions", "Scheduled functions", jobs], ["crons", "Cron jobs", crons]];

export function mount(container, session, [tab = "functions"]) {
  stylesheet("schedules");
  const [name, , module] = TABS.find(([n]) => n === tab) ?? TABS[0];
  const error = h("p", { className: "error", id: "schedules-error" });
  const report = (e) => replace(error, errorText(e));
  const body = h("div", {});
  let stopBody = () => {};
  const show = (componentId) => {
    stopBody();
    replace(error);
    stopBody = module.show(body, session, componentId, report);
  };
  const picker = componentPicker(session, show, report);
  replace(container,
    h("div", { className: "toolbar" }, h("h1", {}, "Schedules"), picker.node),
    h("div", { className: "tabs" }, TABS.map(([n, title]) => h("a", {
      href: `#/schedules/${n}`, id: `tab-${n}`, className: n === name ? "active" : "",
    }, title))),
    error, body);
  show(null);
  return () => {
    picker.stop();
    stopBody();
  };
}
