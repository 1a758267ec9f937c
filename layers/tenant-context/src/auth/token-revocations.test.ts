import { describe, expect, it } from "vitest";
import { tenantRecord } from "../testing/index.ts";
import { isRevoked } from "./token-revocations.ts";

const record = (entries: string[]) => tenantRecord({ revokedTokens: new Set(entries) });

describe("isRevoked", () => {
  it("refuses a token issued before its user's latest revocation, and none issued at or after it", () => {
    const revoked = record(["u1@100", "u1@300", "u1@200"]);
    expect(isRevoked(revoked, "u1", 299)).toBe(true);
    expect(isRevoked(revoked, "u1", 300)).toBe(false);
  });

  it("refuses any token of a revoked user whose issue time is not known, and nobody else's", () => {
    const revoked = record(["u1@100"]);
    expect(isRevoked(revoked, "u1", undefined)).toBe(true);
    expect(isRevoked(revoked, "u2", undefined)).toBe(false);
    expect(isRevoked(record([]), "u1", undefined)).toBe(false);
    expect(isRevoked({ ...revoked, revokedTokens: undefined }, "u1", 1)).toBe(false);
  });

  it("reads a user id up to the last @, and ignores entries that are not <userId>@<second>", () => {
    const revoked = record(["u@1@100", "u1@", "@100", "u2@soon", "u3@1.5"]);
    expect(isRevoked(revoked, "u@1", 99)).toBe(true);
    expect(isRevoked(revoked, "u", 99)).toBe(false);
    for (const userId of ["u1", "", "u2", "u3"]) expect(isRevoked(revoked, userId, 0), userId).toBe(false);
  });
});
