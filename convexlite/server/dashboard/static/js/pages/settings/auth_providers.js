// The authentication providers the deployment accepts tokens from (the Python app's and
// the pushed `auth.config`), live.

import { h, replace } from "../../dom.js";

// A custom JWT provider's algorithm is stored JSON-quoted, as upstream stores it.
const unquote = (text) => text?.replace(/^"(.*)"$/, "$1");

function describe(provider) {
  if (provider.type === "customJwt") {
    return ["Custom JWT", provider.issuer, provider.applicationID ?? "—",
      `${unquote(provider.algorithm)}, keys ${provider.jwks}`];
  }
  return ["OIDC", provider.domain, provider.applicationID, ""];
}

export function authSection(session, report) {
  const body = h("div", { id: "auth-providers" }, "…");
  const node = h("section", {}, h("h2", {}, "Authentication"), body);
  const stop = session.watch("_system/frontend/listAuthProviders:default", {}, (providers) => {
    if (providers.length === 0) {
      return replace(body, h("p", { className: "muted" }, "No authentication providers: ",
        "declare them in convex/auth.config.ts or App(auth_providers=...)."));
    }
    replace(body, h("table", { className: "grid" },
      h("thead", {}, h("tr", {}, ["Type", "Domain or issuer", "Application ID", "Details"]
        .map((title) => h("th", {}, title)))),
      h("tbody", {}, providers.map((provider) =>
        h("tr", {}, describe(provider).map((text) => h("td", {}, text)))))));
  }, report);
  return { node, stop };
}
