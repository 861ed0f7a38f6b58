import { defineApp } from "convex/server";
import library from "./library/convex.config";

const app = defineApp();
app.use(library);
export default app;
