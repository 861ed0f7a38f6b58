import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();
crons.interval("tick every second", { seconds: 1 }, internal.jobs.record, { key: "cron" });
crons.daily("nightly", { hourUTC: 3, minuteUTC: 30 }, internal.jobs.record, { key: "nightly" });
export default crons;
