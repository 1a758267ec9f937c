/**
 * The products app served in-process by @hono/node-server: the comparison for the local gateway.
 * Same app, same environment as the function, no gateway, no worker process, no authorizer (the
 * tenant context verifies the bearer token itself, cached after the first request). Run with
 * fork(..., { execArgv: ["--import", "tsx"] }); it sends `{ port }` once listening.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createProductsApp } from "../../functions/products/app.ts";

const app = createProductsApp();
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
  process.send?.({ port: info.port });
});
process.on("disconnect", () => {
  server.close();
  process.exit(0);
});
