/** Lambda entry points: `handler` for buffered routes, `streamHandler` for the streamed export. */
import { handle, streamHandle } from "@tenantkit/tenant-context";
import { createOrdersApp } from "./app.ts";

const app = createOrdersApp();

export const handler = handle(app);
export const streamHandler = streamHandle(app);
