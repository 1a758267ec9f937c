/** What the control plane's use cases need from the outside world; adapters/ implements each for AWS. */
import type { TenantRecord, TenantStatus, Tier } from "@tenantkit/tenant-context";

export interface TenantPage {
  items: TenantRecord[];
  nextKey: Record<string, unknown> | undefined;
}

/** The tenant registry (the tenants table), as the control plane writes it. */
export interface TenantRecords {
  /** fails with `TenantExistsError` when the id is taken */
  create(record: TenantRecord): Promise<void>;
  get(tenantId: string): Promise<TenantRecord | undefined>;
  list(limit: number, startKey?: Record<string, unknown>): Promise<TenantPage>;
  /**
   * Changes the record only if its status is one of `from`; false when it is not (or is gone).
   * `changes` may set the tier, dedicated tables and usage key along with the status.
   */
  transition(
    tenantId: string,
    from: readonly TenantStatus[],
    changes: Partial<Pick<TenantRecord, "status" | "tier" | "tables" | "usageKey" | "usageKeyId">>,
    now: Date,
  ): Promise<boolean>;
  /**
   * Deletes the record while its status is `status`: an onboarding undoing itself removes its
   * PENDING record, and an offboarding its OFFBOARDING one, never a record another run has made
   * since (a tenant that took the id). Returns whether it deleted it (none is there: true).
   */
  remove(tenantId: string, status: TenantStatus): Promise<boolean>;
}

/** A usage-plan key of the tenant's own (enterprise); pooled tiers share their tier's key. */
export interface UsageKeys {
  createDedicatedKey(tenantId: string): Promise<{ keyId: string; value: string }>;
  deleteKey(keyId: string): Promise<void>;
}

/** The secrets the control plane creates for a tenant (under `/<stage>/tenants/<id>/`). */
export interface TenantSecretsAdmin {
  createInitialSecrets(tenantId: string): Promise<void>;
  deleteAll(tenantId: string): Promise<void>;
}

/** Dedicated (silo) tables of a top-tier tenant: one per tenant data table, same key schema. */
export interface SiloTables {
  /** logical name -> the name the tenant's dedicated table has (or will have) */
  namesFor(tenantId: string): Record<string, string>;
  /** creates the tables (idempotent) and returns logical name -> table name */
  create(tenantId: string): Promise<Record<string, string>>;
  delete(tables: Record<string, string>): Promise<void>;
}

/** Moves and removes a tenant's items in its data tables (pooled or dedicated). */
export interface TenantDataAdmin {
  /** every item of the tenant in one logical table, page by page (tenant key removed) */
  items(tenantId: string, table: string, tables?: Record<string, string>): AsyncGenerator<Record<string, unknown>>;
  /** copies every item of every data table from one location to another; returns counts per table */
  copy(
    tenantId: string,
    from: Record<string, string> | undefined,
    to: Record<string, string> | undefined,
  ): Promise<Record<string, number>>;
  count(tenantId: string, tables: Record<string, string> | undefined): Promise<Record<string, number>>;
  deleteAll(tenantId: string, tables: Record<string, string> | undefined): Promise<void>;
  /** the logical names of the tenant data tables */
  readonly tableNames: readonly string[];
}

/** Tenant lifecycle events on the event bus. */
export interface LifecycleEvents {
  publish(tenantId: string, detailType: string, data: Record<string, unknown>): Promise<void>;
}

export class TenantExistsError extends Error {}

export interface OnboardingRequest {
  tenantId: string;
  name: string;
  tier: Tier;
  adminEmail: string;
  adminPassword?: string;
}
