/** Lambda entry points of the control plane: buffered routes, the streamed offboarding and tier changes, the public sign-up. */
import { handle, streamHandle } from "@tenantkit/tenant-context";
import { createRegistrationsApp, createTenantsApp } from "./app.ts";

const app = createTenantsApp();

export const handler = handle(app);
export const streamHandler = streamHandle(app);
export const registrationsHandler = handle(createRegistrationsApp());
