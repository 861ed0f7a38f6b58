// A "Copy" button for a value; where the clipboard is refused (an insecure origin, a
// denied permission) it says so, and the value stays selectable on the page.

import { h } from "../../dom.js";

export function copyButton(text, props = {}) {
  const button = h("button", { type: "button", ...props }, "Copy");
  button.onclick = async () => {
    try {
      await navigator.clipboard.writeText(typeof text === "function" ? text() : text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy it";
    }
    setTimeout(() => (button.textContent = "Copy"), 2000);
  };
  return button;
}
