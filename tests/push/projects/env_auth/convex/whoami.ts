import { query } from "./_generated/server";

export default query({
  args: {},
  handler: async (ctx) => await ctx.auth.getUserIdentity(),
});
