/** The Powertools logger every tenant-context component and service shares, one per container. */
import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The container's logger. The tenant-context middleware appends `tenant_id`, `tier`, `user_id`
 * and `correlation_id` to it for each request; services reach it as `c.var.logger`.
 *
 * @example
 * logger.info("product created", { productId });
 */
export const logger = new Logger();
