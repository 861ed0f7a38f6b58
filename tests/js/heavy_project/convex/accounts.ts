// CPU-heavy functions: lucia's scrypt takes about 0.1 s of JavaScript per password, the
// work Convex Auth does in a mutation when a user signs up or signs in.
import {
  actionGeneric,
  mutationGeneric,
  paginationOptsValidator,
  queryGeneric,
} from "convex/server";
import { v } from "convex/values";
import { Scrypt } from "lucia";

export const register = mutationGeneric({
  args: { name: v.string(), password: v.string() },
  handler: async (ctx, { name, password }) => {
    const id = await ctx.db.insert("accounts", { name, hash: "" });
    await ctx.db.patch(id, { hash: await new Scrypt().hash(password) });
    return id;
  },
});

export const signIn = queryGeneric({
  args: { name: v.string(), password: v.string() },
  handler: async (ctx, { name, password }) => {
    const account = await ctx.db
      .query("accounts")
      .filter((q) => q.eq(q.field("name"), name))
      .unique();
    return account !== null && (await new Scrypt().verify(account.hash, password));
  },
});

export const firstPageSignIn = queryGeneric({
  args: { password: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { password, paginationOpts }) => {
    const page = await ctx.db.query("accounts").paginate(paginationOpts);
    const verified = [];
    for (const account of page.page) {
      verified.push(await new Scrypt().verify(account.hash, password));
    }
    return { ...page, page: verified };
  },
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) =>
    (await ctx.db.query("accounts").collect()).map(({ name, hash }) => ({ name, hash })),
});

export const hash = actionGeneric({
  args: { password: v.string() },
  handler: async (_ctx, { password }) => (await new Scrypt().hash(password)).length,
});
