/**
 * @module
 * In-memory stand-ins for the layer's own interfaces, for services' unit tests (no network).
 * Not part of the bundled layer: import from `@tenantkit/tenant-context/testing`.
 */
import type { TokenVerifier } from "../auth/token-verifier.ts";
import type { AppConfig } from "../config/app-config.ts";
import type { TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { UnauthorizedError } from "../http/errors.ts";
import type { TenantRecord, TenantRegistry } from "../registry/tenant-registry.ts";

/** A registry in which every tenant asked about exists and is ACTIVE on `tier` (or as `overrides` say). */
export function activeTenantRegistry(overrides: Partial<TenantRecord> = {}): TenantRegistry {
  return {
    get: async (tenantId) => ({
      tenantId,
      name: tenantId,
      tier: "basic",
      status: "ACTIVE",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      ...overrides,
    }),
  };
}

/** Configuration that answers every name with the given values. */
export function fixedAppConfig(values: Record<string, unknown>): AppConfig {
  return {
    async getJson<T>(name: string) {
      if (!(name in values)) throw new Error(`configuration '${name}' has no value`);
      return values[name] as T;
    },
  };
}

export { InMemoryIdempotencyPersistence } from "../idempotency/in-memory-persistence.ts";

/** A data source that fails the test if a request gets as far as the database (for validation tests). */
export function unreachableDataSource(): TenantDataSource {
  return {
    forTenant: () => ({
      table: () =>
        new Proxy({} as TenantTable, {
          get: () => () => {
            throw new Error("validation should have stopped this request before any data access");
          },
        }),
    }),
  };
}

/** A token verifier that refuses every token (401), for requests that arrive without an authorizer. */
export function refusingVerifier(): TokenVerifier {
  return {
    verify: async () => {
      throw new UnauthorizedError("test verifier refuses everything");
    },
  };
}
