/** The tenant's user directory (users table, tenant-scoped): Cognito cannot list users by a custom attribute. */
import type { TenantTable } from "@tenantkit/tenant-context";
import { everyItem } from "./paging.ts";

/** The roles inside a tenant (system-admin is granted only by the operator, never via the directory). */
export type TenantRole = "tenant-admin" | "tenant-user";

export interface DirectoryUser {
  userId: string;
  email: string;
  role: TenantRole;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface UserDirectory {
  put(user: DirectoryUser): Promise<void>;
  get(userId: string): Promise<DirectoryUser | undefined>;
  remove(userId: string): Promise<void>;
  page(
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ items: DirectoryUser[]; nextKey?: Record<string, unknown> }>;
  all(): AsyncGenerator<DirectoryUser>;
}

/** The directory over the caller's tenant's view of the users table. */
export function createUserDirectory(table: TenantTable): UserDirectory {
  const directory: UserDirectory = {
    put: (user) => table.put({ ...user }),
    get: (userId) => table.get<DirectoryUser & Record<string, unknown>>({ userId }),
    async remove(userId) {
      await table.delete({ userId });
    },
    async page(limit, startKey) {
      const { items, nextKey } = await table.query<DirectoryUser & Record<string, unknown>>({
        limit,
        ...(startKey && { startKey }),
      });
      return { items, ...(nextKey && { nextKey }) };
    },
    all: () => everyItem((startKey) => directory.page(100, startKey)),
  };
  return directory;
}
