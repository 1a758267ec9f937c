import { activeTenantRegistry, refusingVerifier, unreachableDataSource } from "@tenantkit/tenant-context/testing";
import { describe, expect, it } from "vitest";
import { createTenantsApp } from "./app.ts";
import type { ControlPlane } from "./control-plane.ts";
import type { TenantRecords } from "./ports.ts";

/** A control plane that records every use of its tenant records (and answers none found). */
function recordingControlPlane() {
  const used: string[] = [];
  const records = new Proxy({} as TenantRecords, {
    get: (_target, name) => async () => {
      used.push(String(name));
      return undefined;
    },
  });
  const controlPlane = {
    onboarding: { records },
    forRequest: (correlationId: string, userId?: string) => {
      used.push(`forRequest ${correlationId} ${userId}`);
      return controlPlane;
    },
  } as unknown as ControlPlane;
  return { controlPlane, used };
}

/** What API Gateway passes on after the Lambda authorizer allowed a system admin's request. */
const viaAuthorizer = {
  event: {
    requestContext: {
      requestId: "req-1",
      authorizer: { tenantId: "operator", tier: "basic", userId: "u1", roles: "system-admin" },
    },
  },
};

function tenantsApp() {
  const { controlPlane, used } = recordingControlPlane();
  const app = createTenantsApp({
    controlPlane,
    tenantContext: {
      dataSource: unreachableDataSource(),
      verifier: refusingVerifier(),
      registry: activeTenantRegistry(),
      metering: false,
    },
  });
  return { app, used };
}

describe("tenants app: DELETE /tenants/{id} refuses a malformed id before any data access", () => {
  for (const [label, id] of [
    ["not a tenant id", "Not_A_Tenant!"],
    ["3000 characters", "a".repeat(3000)],
  ]) {
    it(`answers ${label} with 400 naming path field 'id', as GET does`, async () => {
      const { app, used } = tenantsApp();
      const path = `/tenants/${encodeURIComponent(id as string)}`;
      const res = await app.request(path, { method: "DELETE" }, viaAuthorizer);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = await res.json();
      expect(problem.errors).toEqual([{ location: "path", field: "id", message: expect.any(String) }]);
      expect(problem.detail).toMatch(/^path field 'id': /);
      expect(used, "the tenant records were reached").toEqual([]);

      const get = await app.request(path, {}, viaAuthorizer);
      expect(await get.json(), "the same answer as GET").toEqual(problem);
    });
  }

  it("still looks a well-formed id up (404 when there is no such tenant)", async () => {
    const { app, used } = tenantsApp();
    const res = await app.request("/tenants/acme", { method: "DELETE" }, viaAuthorizer);
    expect(res.status).toBe(404);
    expect(used).toEqual(["get"]);
  });

  it("refuses to offboard or deactivate the caller's own tenant, with 400 naming path field 'id'", async () => {
    for (const [method, path] of [
      ["DELETE", "/tenants/operator"],
      ["POST", "/tenants/operator/deactivate"],
    ]) {
      const { app, used } = tenantsApp();
      const res = await app.request(path as string, { method }, viaAuthorizer);
      expect(res.status, path).toBe(400);
      expect((await res.json()).errors).toEqual([{ location: "path", field: "id", message: "is your own tenant" }]);
      expect(used).toEqual([]);
    }
  });
});

describe("tenants app: a JSON route given a body that is not labelled JSON", () => {
  for (const [label, headers] of [
    ["text/plain", { "Content-Type": "text/plain" }],
    ["no Content-Type", {}],
  ] as const) {
    it(`answers ${label} with 415 naming the Content-Type header`, async () => {
      const { app, used } = tenantsApp();
      const body = new TextEncoder().encode(JSON.stringify({ tier: "premium" }));
      const res = await app.request("/tenants/acme", { method: "PATCH", body, headers }, viaAuthorizer);
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect((await res.json()).errors).toEqual([
        { location: "header", field: "Content-Type", message: "must be application/json" },
      ]);
      expect(used).toEqual([]);
    });
  }
});

describe("tenants app: the control plane's lifecycle events", () => {
  it("carry the request's correlation id and the system admin who made it", async () => {
    const { app, used } = tenantsApp();
    const res = await app.request("/tenants/acme/deactivate", { method: "POST" }, viaAuthorizer);
    expect(res.status).toBe(404);
    expect(used).toEqual(["forRequest req-1 u1", "get"]);
  });
});
