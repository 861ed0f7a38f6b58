// An in-page confirmation of a destructive action: the message, Confirm and Cancel.

import { h, replace } from "../../dom.js";

export function confirmIn(container, message, action) {
  replace(container, h("div", { className: "confirm" },
    h("span", {}, message),
    h("button", {
      className: "danger", id: "confirm-yes",
      onclick: () => {
        replace(container);
        action();
      },
    }, "Confirm"),
    h("button", { id: "confirm-no", onclick: () => replace(container) }, "Cancel")));
}
