import { describe, expect, it } from "vitest";
import { tenantRecord } from "../testing/index.ts";
import { isRevoked, tokenRefusal } from "./token-revocations.ts";

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

describe("tokenRefusal", () => {
  const createdAt = Date.parse("2026-11-30T12:00:00.000Z") / 1000;
  const tenant = tenantRecord({
    createdAt: "2026-11-30T12:00:00.700Z",
    revokedTokens: new Set([`u1@${createdAt + 60}`]),
  });

  it("refuses a token issued before its tenant was created (an offboarded tenant's id taken again), a second of skew allowed", () => {
    expect(tokenRefusal(tenant, "u2", createdAt - 1800)).toBe("token issued before its tenant was created");
    expect(tokenRefusal(tenant, "u2", createdAt - 2)).toBe("token issued before its tenant was created");
    expect(tokenRefusal(tenant, "u2", createdAt - 1)).toBeUndefined();
    // `iat` counts whole seconds: a token of the second the record was created in is the new tenant's.
    expect(tokenRefusal(tenant, "u2", createdAt)).toBeUndefined();
    expect(tokenRefusal(tenant, "u2", createdAt + 10)).toBeUndefined();
  });

  it("refuses every token of a tenant whose record cannot say when it was created", () => {
    expect(tokenRefusal(tenantRecord({ createdAt: "not a time" }), "u2", createdAt + 10)).toBe(
      "tenant record has no creation time",
    );
  });

  it("refuses a revoked token, and cannot tell the age of a token whose issue time is not known", () => {
    expect(tokenRefusal(tenant, "u1", createdAt + 59)).toBe("token revoked");
    expect(tokenRefusal(tenant, "u1", createdAt + 60)).toBeUndefined();
    expect(tokenRefusal(tenant, "u2", undefined)).toBeUndefined();
  });
});
