// The signed-in session: the admin key (kept in sessionStorage, never in a URL), one
// ConvexClient authenticated with it, and fetch for the HTTP endpoints. The key travels in
// the `Authorization` header, never in a cookie, so no other site can make the browser
// send it: state-changing requests need no CSRF token.

const KEY = "convexlite.adminKey";
// As the official dashboard names itself: the server then sends structured log lines.
const CLIENT = "dashboard-0.0.0";

// The deployment's URL: this page's origin and whatever prefix the API is mounted under.
export const deploymentUrl =
  location.origin + location.pathname.replace(/\/dashboard(\/.*)?$/, "");

export const storedKey = () => sessionStorage.getItem(KEY);

function authorization(key) {
  return { Authorization: `Convex ${key}`, "Convex-Client": CLIENT };
}

// Checks a key with GET /api/check_admin_key; {isReadOnly} or throws with the reason.
export async function checkKey(key) {
  const response = await fetch(`${deploymentUrl}/api/check_admin_key`, {
    headers: authorization(key),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.message ?? `The admin key was refused (HTTP ${response.status}).`);
  }
  return await response.json();
}

// Exchanges the one-time token of a login link for the admin key.
export async function redeemToken(token) {
  const response = await fetch(`${deploymentUrl}/dashboard/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `Login failed (HTTP ${response.status}).`);
  return body.adminKey;
}

// A refused HTTP call: Convex's `{code, message}` body, and the status.
export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

export class Session {
  constructor(key, info) {
    this.key = key;
    this.readOnly = !!info.isReadOnly;
    this.client = new convex.ConvexClient(deploymentUrl, { unsavedChangesWarning: false });
    this.client.setAdminAuth(key);
  }

  static save(key) {
    sessionStorage.setItem(KEY, key);
  }

  async close() {
    sessionStorage.removeItem(KEY);
    await this.client.close();
  }

  // Watches a query; returns the unsubscribe function.
  watch(path, args, onValue, onError) {
    return this.client.onUpdate(path, args, onValue, onError);
  }

  query(path, args) {
    return this.client.query(path, args);
  }

  mutation(path, args) {
    return this.client.mutation(path, args);
  }

  action(path, args) {
    return this.client.action(path, args);
  }

  // An HTTP call with the key in the Authorization header; the parsed JSON body (or null).
  async call(method, path, body, signal) {
    const response = await fetch(`${deploymentUrl}${path}`, {
      method,
      signal,
      headers: { ...authorization(this.key), "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!response.ok) throw new HttpError(response.status, parsed);
    return parsed;
  }
}

// The message to show for a failed call: a ConvexError's data, else the error's message.
export function errorText(error) {
  if (error?.data !== undefined) {
    return typeof error.data === "string" ? error.data : JSON.stringify(error.data);
  }
  return String(error?.message ?? error);
}

// An HTTP call with the session's key whose body or answer is not JSON (a ZIP upload or
// download); the Response, or throws with the server's message.
export async function fetchWithKey(session, path, init = {}) {
  const headers = { ...authorization(session.key), ...init.headers };
  const response = await fetch(`${deploymentUrl}${path}`, { ...init, headers });
  if (!response.ok) throw new HttpError(response.status, await response.json().catch(() => ({})));
  return response;
}
