import { defineComponent } from "convex/server";
import { v } from "convex/values";

export default defineComponent("vault", { env: { LABEL: v.optional(v.string()) } });
