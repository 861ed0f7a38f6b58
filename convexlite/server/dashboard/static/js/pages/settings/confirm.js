// Asks before a change that cannot be undone: a modal dialog with the message (as text)
// and Confirm/Cancel; resolves true when confirmed.

import { h } from "../../dom.js";

export function confirmAction(message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { className: "confirm", id: "confirm-dialog" },
      h("p", { className: "confirm-message" }, message),
      h("div", { className: "toolbar" },
        h("button", { className: "danger", id: "confirm-ok", onclick: () => close(true) },
          confirmLabel),
        h("button", { id: "confirm-cancel", onclick: () => close(false) }, "Cancel")));
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.addEventListener("cancel", () => close(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}
