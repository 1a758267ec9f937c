import { describe, expect, it } from "vitest";
import { MetricUnit, requestMetrics } from "./metrics.ts";

describe("requestMetrics", () => {
  it.each(["Requests", "Latency", "ClientErrors", "ServerErrors", "tenantId", "service", "tier", "_aws"])(
    "refuses %s, a name the tenant context records itself (or the EMF envelope), as metric and as metadata",
    (name) => {
      expect(() => requestMetrics.addMetric(name, MetricUnit.Count, 1)).toThrow(/records '.*' itself/);
      expect(() => requestMetrics.addMetadata(name, "x")).toThrow(/records '.*' itself/);
    },
  );
});
