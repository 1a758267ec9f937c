/** The Powertools metrics (EMF) instance of the container and the per-request recording around it. */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logger } from "./logger.ts";

/**
 * The container's metrics. Dimensions are `service` (from POWERTOOLS_SERVICE_NAME) and `tier`;
 * the tenant id is metadata, never a dimension (a dimension per tenant is a custom metric per
 * tenant). HTTP services record theirs through `c.var.metrics` (`requestMetrics`) and never
 * flush: the middleware does. Handlers without the middleware (event consumers) use it directly.
 *
 * @example
 * metrics.addMetric("EventsProcessed", MetricUnit.Count, 3);
 * metrics.publishStoredMetrics();
 */
export const metrics = new Metrics({
  // Its own warnings (say, a metric dropped) go through the logger, with the request's keys.
  logger,
});

export { MetricUnit };

/**
 * The `tier` of what no tenant's tier applies to: requests refused before a tenant was established
 * (e.g. 401), public sign-ups, and the events of a tenant no longer in the registry.
 */
export const NO_TIER = "none";

/** A unit of `MetricUnit`, e.g. `MetricUnit.Count`. */
type Unit = Parameters<Metrics["addMetric"]>[1];

/**
 * The names the tenant context records for every request (metrics, metadata and dimensions), and
 * `_aws`, the EMF envelope itself, which a metric or metadata of that name would replace.
 */
const RESERVED_NAMES = new Set([
  "Requests",
  "Latency",
  "ClientErrors",
  "ServerErrors",
  "tenantId",
  "service",
  "tier",
  "_aws",
]);

/**
 * What a service may add to its request's metrics (`c.var.metrics`): metrics and metadata. They
 * go out in the request's one EMF blob, under its `service` and `tier`. Dimensions are not
 * offered: one added by a service would also split the tenant context's own request metrics.
 */
export interface RequestMetrics {
  /**
   * throws when `name` is one the tenant context records itself, and past 99 values of one metric
   * or 95 metrics in a request (Powertools would publish a blob of its own, without tier and tenant)
   */
  addMetric(name: string, unit: Unit, value: number): void;
  /** searchable in the EMF log line, not a dimension; throws when `key` is one the tenant context uses */
  addMetadata(key: string, value: string): void;
}

function refuseReserved(name: string): void {
  if (RESERVED_NAMES.has(name)) throw new Error(`the tenant context records '${name}' itself; choose another name`);
}

/**
 * Powertools publishes on its own, in the middle of a request and without the request's tier and
 * tenant, once one metric holds 100 values or 100 metrics are stored. A request's metrics go out as
 * one blob, so a service may record at most 99 values of one metric, and 95 metrics: the layer adds
 * its four per request, and may add one more while the request runs (the outbox's
 * `EventsLeftToSweeper`).
 */
const MAX_VALUES_PER_METRIC = 99;
const MAX_SERVICE_METRICS = 95;

/** How many values the service recorded of each metric since the request's last publish. */
const recordedValues = new Map<string, number>();

function refuseBeyondOneBlob(name: string): void {
  const values = recordedValues.get(name);
  if (values === undefined && recordedValues.size >= MAX_SERVICE_METRICS) {
    throw new RangeError(`a request records at most ${MAX_SERVICE_METRICS} metrics of its own; '${name}' is one more`);
  }
  if ((values ?? 0) >= MAX_VALUES_PER_METRIC) {
    throw new RangeError(
      `a request records at most ${MAX_VALUES_PER_METRIC} values of '${name}': add them up and record the sum once`,
    );
  }
  recordedValues.set(name, (values ?? 0) + 1);
}

/**
 * `c.var.metrics`: the request's metrics, as a service sees them.
 *
 * @example
 * c.var.metrics.addMetric("ProductsCreated", MetricUnit.Count, 1);
 */
export const requestMetrics: RequestMetrics = {
  addMetric(name, unit, value) {
    refuseReserved(name);
    refuseBeyondOneBlob(name);
    metrics.addMetric(name, unit, value);
  },
  addMetadata(key, value) {
    refuseReserved(key);
    metrics.addMetadata(key, value);
  },
};

/** What one request contributes to the metrics, recorded and flushed once. */
export interface RequestOutcome {
  /** undefined when the request was refused before its tenant was known */
  tenantId: string | undefined;
  tier: string;
  status: number;
  latencyMs: number;
}

function recordAndPublish(outcome: RequestOutcome): void {
  recordedValues.clear();
  metrics.addDimension("tier", outcome.tier);
  if (outcome.tenantId) metrics.addMetadata("tenantId", outcome.tenantId);
  metrics.addMetric("Requests", MetricUnit.Count, 1);
  metrics.addMetric("Latency", MetricUnit.Milliseconds, outcome.latencyMs);
  metrics.addMetric("ClientErrors", MetricUnit.Count, outcome.status >= 400 && outcome.status < 500 ? 1 : 0);
  metrics.addMetric("ServerErrors", MetricUnit.Count, outcome.status >= 500 ? 1 : 0);
  metrics.publishStoredMetrics();
}

/**
 * Drops what the service recorded for the request so far, as when its answer is dropped (a read
 * the quota refused after it ran): the request's own metrics are recorded when it is published.
 *
 * @example
 * dropRecordedMetrics(); // then answer 429
 */
export function dropRecordedMetrics(): void {
  recordedValues.clear();
  metrics.clearMetrics();
  metrics.clearDimensions();
  metrics.clearMetadata();
}

/**
 * Records the request's count, latency and error class, then publishes everything stored. Never
 * throws: if what the service stored cannot be published (Powertools refuses, say, one name used
 * as both a metric and metadata), that is dropped with an error log and the request's own metrics
 * go out alone, so that nothing is left stored for the next request.
 *
 * @example
 * publishRequestMetrics({ tenantId: "acme", tier: "basic", status: 200, latencyMs: 12.5 });
 */
export function publishRequestMetrics(outcome: RequestOutcome): void {
  try {
    recordAndPublish(outcome);
  } catch (error) {
    dropRecordedMetrics();
    logger.error("the request's metrics could not be published as recorded; the service's own were dropped", {
      error: error as Error,
    });
    try {
      recordAndPublish(outcome);
    } catch (again) {
      dropRecordedMetrics();
      logger.error("the request's metrics could not be published", { error: again as Error });
    }
  }
}
