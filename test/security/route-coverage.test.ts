import { describe, expect, it } from "vitest";
import { coverageGaps, routeCoverage, templateRoutes } from "./route-coverage.ts";

describe("security coverage of template.yaml", () => {
  it("has an entry for every route and verb of the template, and none for routes that are gone", () => {
    const routes = templateRoutes();
    expect(routes.length).toBeGreaterThan(0);
    expect(coverageGaps(routes, routeCoverage()), "routes the security suites do not cover").toEqual([]);
  });

  it("notices a route added to the template without an entry", () => {
    const routes = [
      ...templateRoutes(),
      {
        functionId: "InvoicesFunction",
        eventId: "GetInvoice",
        method: "GET",
        path: "/invoices/{id}",
        streaming: false,
        authorizer: "TenantAuthorizer",
      },
    ];
    const gaps = coverageGaps(routes, routeCoverage());
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatch(/^GET \/invoices\/\{id\} \(InvoicesFunction\) is in template.yaml but not in/);
  });
});
