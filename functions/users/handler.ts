/** Lambda entry point of the users service. */
import { handle } from "hono/aws-lambda";
import { createUsersApp } from "./app.ts";

export const handler = handle(createUsersApp());
