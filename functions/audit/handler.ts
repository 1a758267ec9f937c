/** Lambda entry points of the audit API: `handler` for GET /audit, `streamHandler` for the streamed export. */
import { handle, streamHandle } from "@tenantkit/tenant-context";
import { createAuditApp } from "./app.ts";

const app = createAuditApp();

export const handler = handle(app);
export const streamHandler = streamHandle(app);
