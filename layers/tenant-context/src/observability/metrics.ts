/** The Powertools metrics (EMF) instance of the container and the per-request recording around it. */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/**
 * The container's metrics. Dimensions are `service` (from POWERTOOLS_SERVICE_NAME) and `tier`;
 * the tenant id is metadata, never a dimension (a dimension per tenant is a custom metric per
 * tenant). Services add their own through `c.var.metrics` and never flush: the middleware does.
 *
 * @example
 * c.var.metrics.addMetric("ProductsCreated", MetricUnit.Count, 1);
 */
export const metrics = new Metrics();

export { MetricUnit };

/** What one request contributes to the metrics, recorded and flushed once. */
export interface RequestOutcome {
  /** undefined when the request was refused before its tenant was known */
  tenantId: string | undefined;
  tier: string;
  status: number;
  latencyMs: number;
}

/** Records the request's count, latency and error class, then publishes everything stored. */
export function publishRequestMetrics(outcome: RequestOutcome): void {
  metrics.addDimension("tier", outcome.tier);
  if (outcome.tenantId) metrics.addMetadata("tenantId", outcome.tenantId);
  metrics.addMetric("Requests", MetricUnit.Count, 1);
  metrics.addMetric("Latency", MetricUnit.Milliseconds, outcome.latencyMs);
  metrics.addMetric("ClientErrors", MetricUnit.Count, outcome.status >= 400 && outcome.status < 500 ? 1 : 0);
  metrics.addMetric("ServerErrors", MetricUnit.Count, outcome.status >= 500 ? 1 : 0);
  metrics.publishStoredMetrics();
}
