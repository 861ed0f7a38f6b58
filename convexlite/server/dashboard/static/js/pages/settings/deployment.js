// Pause and resume the deployment.

import { h, replace } from "../../dom.js";

export function pauseSection(session, report) {
  const readOnly = session.readOnly;
  const stateText = h("span", { id: "deployment-state" }, "…");
  const change = (path) => async () => {
    report(null);
    try {
      await session.call("POST", path);
    } catch (e) {
      report(e);
    }
  };
  const pause = h("button", { id: "pause", className: "danger", disabled: true,
    onclick: change("/api/v1/pause_deployment") }, "Pause deployment");
  const resume = h("button", { id: "resume", className: "primary", disabled: true,
    onclick: change("/api/v1/unpause_deployment") }, "Resume deployment");
  const node = h("section", {},
    h("h2", {}, "Pause deployment"),
    h("p", { className: "muted" },
      "A paused deployment refuses every query, mutation, action and HTTP action; ",
      "scheduled functions wait. The dashboard keeps working."),
    h("p", {}, "State: ", stateText, " ", pause, " ", resume));
  const stop = session.watch("_system/frontend/deploymentState:deploymentState", {}, (v) => {
    replace(stateText, v.state);
    pause.disabled = readOnly || v.state !== "running";
    resume.disabled = readOnly || v.state !== "paused";
  }, report);
  return { node, stop };
}
