/** Lambda entry point of the audit consumer (SQS event source with ReportBatchItemFailures). */
import { createAuditConsumer } from "./consumer.ts";

export const handler = createAuditConsumer();
