// "Act as a user": an identity (JSON of UserIdentity's fields) the runner's functions see
// in `ctx.auth.getUserIdentity()`, instead of running as the admin.

import { h } from "../../dom.js";

const EXAMPLE = {
  subject: "user-1", issuer: "https://auth.example.com", name: "Ada Lovelace",
  email: "ada@example.com",
};

// Kept for the tab, so picking another function keeps acting as the same user.
const KEPT = "convexlite.actAs";

// `{node, identity()}`: identity() is undefined when unticked, else the parsed object
// (throws with the reason when it is not a usable identity).
export function identityEditor() {
  const kept = JSON.parse(sessionStorage.getItem(KEPT) ?? "null");
  const enabled = h("input", { type: "checkbox", id: "act-as", checked: kept?.enabled ?? false });
  const text = h("textarea", { id: "identity-editor", className: "short", hidden: !enabled.checked });
  text.value = kept?.text ?? JSON.stringify(EXAMPLE, null, 2);
  const keep = () =>
    sessionStorage.setItem(KEPT, JSON.stringify({ enabled: enabled.checked, text: text.value }));
  enabled.onchange = () => {
    text.hidden = !enabled.checked;
    keep();
  };
  text.oninput = keep;
  const identity = () => {
    if (!enabled.checked) return undefined;
    let value;
    try {
      value = JSON.parse(text.value);
    } catch (e) {
      throw new Error(`The identity is not valid JSON: ${e.message}`);
    }
    const named = value?.tokenIdentifier !== undefined ||
      (typeof value?.subject === "string" && typeof value?.issuer === "string");
    if (typeof value !== "object" || Array.isArray(value) || !named) {
      throw new Error("An identity needs `subject` and `issuer` (or `tokenIdentifier`).");
    }
    return value;
  };
  const node = h("div", { className: "identity" },
    h("label", {}, enabled, " Act as a user"), text);
  return { node, identity };
}
