/** The warm-overhead rows issue 3's targets are judged on: tenantContext() in front of bare Hono's handler. */
export const COLD_TOKEN_TARGET_ROW = "tenant-context-cold-token";
export const WARM_TOKEN_TARGET_ROW = "tenant-context-warm-token";
