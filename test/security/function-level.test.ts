/**
 * Function-level authorization (OWASP API5) of the layer's `requireRole`, for every pair of
 * caller role and required role, independently of the routes in the template. The
 * e2e matrix (tenant-isolation.e2e.test.ts) runs the same rule against the template's routes.
 */
import "./support/quiet.ts";
import { createServiceApp } from "@tenantkit/shared/service-app";
import { ROLES, type Role, requireRole, type TenantDataSource, UnauthorizedError } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";

const noData: TenantDataSource = {
  forTenant: () => ({
    table: () => {
      throw new Error("no data access expected");
    },
  }),
};

function appRequiring(...roles: Role[]) {
  const app = createServiceApp({
    dataSource: noData,
    verifier: {
      verify: async () => {
        throw new UnauthorizedError("only the authorizer context is used here");
      },
    },
    registry: {
      get: async (tenantId: string) => ({
        tenantId,
        name: tenantId,
        tier: "basic" as const,
        status: "ACTIVE" as const,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
      }),
    },
  });
  app.get("/gated", requireRole(...roles), (c) => c.json({ ok: true }));
  return app;
}

const asCaller = (roles: string) => ({
  event: { requestContext: { requestId: "r1", authorizer: { tenantId: "acme", tier: "basic", userId: "u1", roles } } },
});

/** Requirements the control plane and the users service will use. */
const requirements: Role[][] = [["system-admin"], ["tenant-admin"], ["tenant-admin", "system-admin"]];

describe("requireRole", () => {
  for (const required of requirements) {
    for (const held of [[], ...ROLES.map((r) => [r]), ["tenant-user", "tenant-admin"]] as Role[][]) {
      const allowed = held.some((role) => required.includes(role));
      it(`${allowed ? "lets" : "refuses with 403"} a caller holding [${held.join(", ")}] on a route needing ${required.join(" or ")}`, async () => {
        const res = await appRequiring(...required).request("/gated", {}, asCaller(held.join(",")));
        if (allowed) {
          expect(res.status).toBe(200);
          return;
        }
        expect(res.status).toBe(403);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        expect(await res.json()).toMatchObject({ status: 403, title: "Forbidden" });
      });
    }
  }

  it("does not take roles from anywhere but the authorizer context (headers, query, unknown roles)", async () => {
    const app = appRequiring("system-admin");
    const res = await app.request(
      "/gated?roles=system-admin&role=system-admin",
      { headers: { "X-Roles": "system-admin", "X-Cognito-Groups": "system-admin" } },
      asCaller("tenant-user,System-Admin, system-admin ,admin,*"),
    );
    expect(res.status).toBe(403);
  });
});
