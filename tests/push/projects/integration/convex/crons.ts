import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();
crons.interval("heartbeat", { seconds: 1 }, internal.messages.tick, {});
export default crons;
