import { defineApp } from "convex/server";
import vault from "./vault/convex.config";

// The tests rewrite this file without `app.use(vault)` to unmount the component.
const app = defineApp();
app.use(vault);
export default app;
