// Uploads a file the way a browser app does: a mutation returns an upload URL
// (ctx.storage.generateUploadUrl), `fetch` POSTs the bytes to it, and the storage id it
// answers is saved with another mutation.
// Usage: node upload.mjs <deployment url> <text> <content type>; prints
// {status, body} of the upload and the storage id as JSON.
import { createRequire } from "node:module";

const require = createRequire((process.env.CONVEX_NPM_DIR ?? process.cwd()) + "/");
const { ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");

const [url, text, contentType] = process.argv.slice(2);
const client = new ConvexHttpClient(url);
const uploadUrl = await client.mutation(anyApi.files.generateUploadUrl, {});
const response = await fetch(uploadUrl, {
  method: "POST",
  headers: { "Content-Type": contentType },
  body: text,
});
const body = await response.json();
if (response.ok) await client.mutation(anyApi.files.save, { storageId: body.storageId, name: "upload" });
process.stdout.write(JSON.stringify({ uploadUrl, status: response.status, body }) + "\n");
