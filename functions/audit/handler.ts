/** Lambda entry points of the audit API: `handler` for GET /audit, `streamHandler` for the streamed export. */
import { streamHandle } from "@tenantkit/tenant-context";
import { handle } from "hono/aws-lambda";
import { createAuditApp } from "./app.ts";

const app = createAuditApp();

export const handler = handle(app);
export const streamHandler = streamHandle(app);
