/** Lambda entry points: `handler` for buffered routes, `streamHandler` for the streamed export. */
import { streamHandle } from "@tenantkit/tenant-context";
import { handle } from "hono/aws-lambda";
import { createOrdersApp } from "./app.ts";

const app = createOrdersApp();

export const handler = handle(app);
export const streamHandler = streamHandle(app);
