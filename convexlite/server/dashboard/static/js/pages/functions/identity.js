// "Act as a user": an identity (JSON of UserIdentity's fields) the runner's functions see
// in `ctx.auth.getUserIdentity()`, instead of running as the admin.

import { h } from "../../dom.js";

const EXAMPLE = {
  subject: "user-1", issuer: "https://auth.example.com", name: "Ada Lovelace",
  email: "ada@example.com",
};

// `{node, identity()}`: identity() is undefined when unticked, else the parsed object
// (throws with the reason when it is not a usable identity).
export function identityEditor() {
  const enabled = h("input", { type: "checkbox", id: "act-as" });
  const text = h("textarea", { id: "identity-editor", className: "short", hidden: true });
  text.value = JSON.stringify(EXAMPLE, null, 2);
  enabled.onchange = () => (text.hidden = !enabled.checked);
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
