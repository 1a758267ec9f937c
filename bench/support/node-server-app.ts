/**
 * The products app served in-process by @hono/node-server: the comparison for the local gateway.
 * Same app, same environment as the function, no gateway, no worker process, no authorizer (the
 * tenant context verifies the bearer token itself, cached after the first request). Run with
 * fork(..., { execArgv: ["--import", "tsx"] }); it sends `{ port }` once listening.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createProductsApp } from "../../functions/products/app.ts";
import { lambdaContext } from "./events.ts";

const app = createProductsApp();
// Bound as handle() of hono/aws-lambda binds it in the gateway's worker, so that the tenant context
// treats both alike (a read answered whole is counted while it runs): only the gateway differs.
const bindings = { lambdaContext: lambdaContext("products") };
const fetch = (request: Request) => app.fetch(request, bindings);
const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
  process.send?.({ port: info.port });
});
process.on("disconnect", () => {
  server.close();
  process.exit(0);
});
