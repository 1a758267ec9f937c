/** What the control plane's use cases need from the outside world (adapters implement these). */
import type { Role, TenantRecord, Tier } from "@tenantkit/tenant-context";

export interface TenantRecords {
  /** fails with `TenantExistsError` when the id is taken */
  create(record: TenantRecord): Promise<void>;
  setStatus(tenantId: string, status: TenantRecord["status"], now: Date): Promise<void>;
  remove(tenantId: string): Promise<void>;
}

export interface NewUser {
  email: string;
  tenantId: string;
  role: Role;
  /** permanent password; omitted = the identity provider invites the user */
  password?: string;
}

export interface IdentityProvider {
  /** creates the user with an immutable tenant claim and the role's group; returns the user id */
  createUser(user: NewUser): Promise<string>;
  deleteUser(email: string): Promise<void>;
  /** gives an existing user one more role */
  grantRole(email: string, role: Role): Promise<void>;
}

export class TenantExistsError extends Error {}

export interface OnboardingRequest {
  tenantId: string;
  name: string;
  tier: Tier;
  adminEmail: string;
  adminPassword?: string;
}
