/** Lambda entry point of the scheduled outbox sweeper: republishes events whose publishing failed after their write. */
import { createOutboxSweeperHandler } from "@tenantkit/tenant-context";

export const handler = createOutboxSweeperHandler();
