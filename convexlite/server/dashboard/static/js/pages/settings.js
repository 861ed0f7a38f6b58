// Settings: pause and resume the deployment; its environment variables.

import { h, replace } from "../dom.js";
import { errorText } from "../session.js";

export function mount(container, session) {
  const error = h("p", { className: "error", id: "settings-error" });
  const report = (e) => replace(error, errorText(e));
  const stateText = h("span", { id: "deployment-state" }, "…");
  const pause = h("button", { id: "pause", className: "danger" }, "Pause deployment");
  const resume = h("button", { id: "resume", className: "primary" }, "Resume deployment");
  pause.onclick = () => change("/api/v1/pause_deployment");
  resume.onclick = () => change("/api/v1/unpause_deployment");
  const change = async (path) => {
    replace(error);
    try {
      await session.call("POST", path);
    } catch (e) {
      report(e);
    }
  };

  const rows = h("tbody", { id: "env-rows" });
  const name = h("input", { id: "env-name", placeholder: "NAME" });
  const value = h("input", { id: "env-value", placeholder: "value" });
  const setVariable = async (event) => {
    event.preventDefault();
    await update([{ name: name.value.trim(), value: value.value }]);
    name.value = value.value = "";
  };
  const update = async (changes) => {
    replace(error);
    try {
      await session.call("POST", "/api/update_environment_variables", { changes });
    } catch (e) {
      report(e);
    }
  };
  const readOnly = session.readOnly;
  replace(
    container,
    h("h1", {}, "Settings"),
    error,
    h("section", {},
      h("h2", {}, "Pause deployment"),
      h("p", { className: "muted" },
        "A paused deployment refuses every query, mutation, action and HTTP action; ",
        "scheduled functions wait. The dashboard keeps working."),
      h("p", {}, "State: ", stateText, " ", pause, " ", resume)),
    h("section", {},
      h("h2", {}, "Environment variables"),
      h("table", { className: "grid" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Value"), h("th", {}))),
        rows),
      h("form", { className: "toolbar", onsubmit: setVariable },
        name, value, h("button", { type: "submit", id: "env-set", disabled: readOnly }, "Set"))),
  );
  pause.disabled = resume.disabled = true;
  const stops = [
    session.watch("_system/frontend/deploymentState:deploymentState", {}, (v) => {
      replace(stateText, v.state);
      pause.disabled = readOnly || v.state !== "running";
      resume.disabled = readOnly || v.state !== "paused";
    }, report),
    session.watch("_system/frontend/listEnvironmentVariables:default", {}, (variables) => {
      replace(rows, variables.map((variable) =>
        h("tr", { "data-name": variable.name },
          h("td", {}, variable.name),
          h("td", {}, variable.value),
          h("td", {}, h("button", {
            className: "danger", disabled: readOnly,
            onclick: () => update([{ name: variable.name, value: null }]),
          }, "Delete")))));
    }, report),
  ];
  return () => stops.forEach((stop) => stop());
}
