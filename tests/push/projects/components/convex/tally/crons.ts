import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

// Each instance of the component runs its own cron job.
const crons = cronJobs();
crons.interval("tick", { seconds: 1 }, internal.counts.tick, {});
export default crons;
