/** Lambda entry point of the users service. */
import { handle } from "@tenantkit/tenant-context";
import { createUsersApp } from "./app.ts";

export const handler = handle(createUsersApp());
