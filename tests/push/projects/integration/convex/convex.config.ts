import { defineApp } from "convex/server";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import shardedCounter from "@convex-dev/sharded-counter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";
import ledger from "./ledger/convex.config";

const app = defineApp();
app.use(rateLimiter);
app.use(shardedCounter);
app.use(ledger);
app.use(workpool);
export default app;
