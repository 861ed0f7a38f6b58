// Rewritten by the test that redeploys changed code; both the V8 and the Node.js bundles import it.
export const VERSION = "v1";
