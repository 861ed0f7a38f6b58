// A confirmation shown in the page (not `window.confirm`, which blocks the page):
// `question` with a confirm and a keep button, in `place`, running `action` on confirm.

import { h, replace } from "./dom.js";

export function confirmInline(place, question, confirmLabel, action) {
  const done = () => replace(place);
  replace(place, h("div", { className: "confirm" },
    h("span", {}, question),
    h("button", {
      className: "danger", id: "confirm-yes",
      onclick: async () => {
        done();
        await action();
      },
    }, confirmLabel),
    h("button", { id: "confirm-no", onclick: done }, "Cancel")));
}
