import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();
crons.interval("tick", { minutes: 5 }, internal.notes.pin, { id: "abc" as any });
crons.cron("nightly", "0 3 * * *", api.notes.add, { author: "cron", body: "night" });
crons.daily("daily", { hourUTC: 4, minuteUTC: 30 }, api.notes.add, { author: "a", body: "b" });
export default crons;
