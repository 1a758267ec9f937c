/** The roles a caller can hold, taken from Cognito groups. */

/** Every role, as the Cognito group of the same name; `requireRole` takes these. */
export const ROLES = ["system-admin", "tenant-admin", "tenant-user"] as const;
export type Role = (typeof ROLES)[number];

/** Keeps only the Cognito groups that are roles of this product, in a stable order. */
export function rolesFromGroups(groups: unknown): Role[] {
  if (!Array.isArray(groups)) return [];
  return ROLES.filter((role) => groups.includes(role));
}
