import { defineApp } from "convex/server";
import { v } from "convex/values";
import vault from "./vault/convex.config";

// The tests rewrite this file without `app.use(vault)` to unmount the component.
const app = defineApp({ env: { VAULT_LABEL: v.optional(v.string()) } });
app.use(vault, { env: { LABEL: app.env.VAULT_LABEL } });
export default app;
