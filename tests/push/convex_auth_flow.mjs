// The Convex Auth (@convex-dev/auth) password flow with the npm `convex` clients, as an app
// without React drives it: sign up, call authenticated functions over HTTP and the
// WebSocket, refresh, sign out; with PASSWORD_SIGN_IN=1 also sign in again and try a wrong
// password. Prints one JSON line per step.
// Usage: node convex_auth_flow.mjs <deployment url> <email> <password>
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");
const WebSocket = require("ws");

const [url, email, password] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const signIn = (args, token) => {
  const client = new ConvexHttpClient(url);
  if (token) client.setAuth(token);
  return client.action(anyApi.auth.signIn, args);
};
const viewer = (token) => {
  const client = new ConvexHttpClient(url);
  client.setAuth(token);
  return client.query(anyApi.users.viewer, {});
};
const attempt = async (step, body) => {
  try {
    emit({ step, ok: true, value: await body() });
  } catch (error) {
    emit({ step, ok: false, error: String(error.message ?? error) });
  }
};

const signedUp = await signIn({ provider: "password", params: { email, password, flow: "signUp" } });
emit({ step: "signUp", ok: true, value: { hasToken: !!signedUp.tokens?.token } });
emit({ step: "viewerAfterSignUp", ok: true, value: await viewer(signedUp.tokens.token) });

const signedIn = signedUp;
const token = signedIn.tokens.token;
if (process.env.PASSWORD_SIGN_IN === "1") {
  const again = await signIn({ provider: "password", params: { email, password, flow: "signIn" } });
  emit({ step: "viewerAfterSignIn", ok: true, value: await viewer(again.tokens.token) });
  await attempt("wrongPassword", () =>
    signIn({ provider: "password", params: { email, password: password + "x", flow: "signIn" } }),
  );
}

const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
client.setAuth(async () => token);
const live = await new Promise((resolve) => {
  client.onUpdate(anyApi.users.viewer, {}, (value) => {
    if (value !== null) resolve(value);
  });
});
emit({ step: "viewerOverWebSocket", ok: true, value: live });
await client.close();

const refreshed = await signIn({ refreshToken: signedIn.tokens.refreshToken });
emit({ step: "viewerAfterRefresh", ok: true, value: await viewer(refreshed.tokens.token) });

const out = new ConvexHttpClient(url);
out.setAuth(refreshed.tokens.token);
await out.action(anyApi.auth.signOut, {});
emit({ step: "signOut", ok: true });
await attempt("refreshAfterSignOut", async () => {
  const again = await signIn({ refreshToken: refreshed.tokens.refreshToken });
  return { hasToken: !!again.tokens?.token };
});
