import { defineApp } from "convex/server";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import shardedCounter from "@convex-dev/sharded-counter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";
import tally from "./tally/convex.config";

const app = defineApp();
app.use(rateLimiter);
app.use(shardedCounter);
app.use(workpool);
app.use(tally, { env: { GREETING: "hello from the app" }, httpPrefix: "/tally/" });
app.use(tally, { name: "otherTally" });
export default app;
