import { getAuthUserId } from "@convex-dev/auth/server";
import { query } from "./_generated/server";

export const viewer = query({
  args: {},
  handler: async (ctx) => {
    const userId = await getAuthUserId(ctx);
    if (userId === null) return null;
    const user = await ctx.db.get(userId);
    const identity = await ctx.auth.getUserIdentity();
    return { email: user?.email ?? null, subject: identity?.subject ?? null };
  },
});
