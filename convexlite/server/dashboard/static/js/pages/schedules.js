// Schedules: the scheduled functions still to run (`#/schedules/functions`) and the cron
// jobs with their recent runs (`#/schedules/crons`), for the app or one component.

import { componentPage } from "../component_picker.js";
import { h, replace, stylesheet } from "../dom.js";
import * as crons from "./schedules_crons.js";
import * as jobs from "./schedules_jobs.js";

const TABS = [["functions", "Scheduled functions", jobs], ["crons", "Cron jobs", crons]];

export function mount(container, session, [tab]) {
  stylesheet("schedules");
  let current = TABS.some(([name]) => name === tab) ? tab : "functions";
  return componentPage(container, session, {
    title: "Schedules",
    errorId: "schedules-error",
    // Tabs switch in the page, so the component picked stays picked.
    render: (body, componentId, report) => {
      const tabs = h("div", { className: "tabs" });
      const content = h("div", {});
      let stop = () => {};
      const show = (name) => {
        stop();
        current = name;
        replace(tabs, TABS.map(([n, title]) => h("a", {
          href: `#/schedules/${n}`, id: `tab-${n}`, className: n === name ? "active" : "",
          onclick: (event) => {
            event.preventDefault();
            history.pushState(null, "", `#/schedules/${n}`);
            show(n);
          },
        }, title)));
        const [, , module] = TABS.find(([n]) => n === name);
        stop = module.show(content, session, componentId, report);
      };
      replace(body, tabs, content);
      show(current);
      return () => stop();
    },
  });
}
