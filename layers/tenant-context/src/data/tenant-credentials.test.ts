import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TenantIsolationError } from "../http/errors.ts";
import { createTenantCredentials, environmentTenantCredentials, tenantDataCredentials } from "./tenant-credentials.ts";

const roleArn = "arn:aws:iam::123456789012:role/app-tenant-data";

/** An STS client whose credentials last as long as asked, dated by the (possibly fake) clock. */
function fakeSts() {
  const send = vi.fn(async ({ input }: AssumeRoleCommand) => ({
    Credentials: {
      AccessKeyId: `AK${send.mock.calls.length}`,
      SecretAccessKey: "secret",
      SessionToken: "token",
      Expiration: new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000),
    },
  }));
  const assumedFor = () => send.mock.calls.map(([command]) => command.input.Tags?.[0]?.Value);
  return { client: { send } as unknown as STSClient, send, assumedFor };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createTenantCredentials", () => {
  it("assumes the role with the tenant's session tag and hands back its credentials", async () => {
    const { client, send } = fakeSts();
    const credentials = await createTenantCredentials({ roleArn, sts: client }).forTenant("acme")();
    expect(send).toHaveBeenCalledOnce();
    const [command] = send.mock.calls[0] ?? [];
    expect(command).toBeInstanceOf(AssumeRoleCommand);
    expect(command?.input).toEqual({
      RoleArn: roleArn,
      RoleSessionName: "tenant-acme",
      DurationSeconds: 3600,
      Tags: [{ Key: "TenantId", Value: "acme" }],
    });
    expect(credentials).toMatchObject({ accessKeyId: "AK1", secretAccessKey: "secret", sessionToken: "token" });
  });

  it("keeps the session name within the 64 characters STS allows, tagging the full tenant id", async () => {
    const { client, send } = fakeSts();
    const tenantId = "t".repeat(64);
    await createTenantCredentials({ roleArn, sts: client }).forTenant(tenantId)();
    expect(send.mock.calls[0]?.[0].input).toMatchObject({
      RoleSessionName: `tenant-${"t".repeat(57)}`,
      Tags: [{ Key: "TenantId", Value: tenantId }],
    });
  });

  it("makes no session for a tenant id that is not one", () => {
    const { client, send } = fakeSts();
    const credentials = createTenantCredentials({ roleArn, sts: client });
    for (const tenantId of ["", "Acme", "acme/payments", "acme "]) {
      expect(() => credentials.forTenant(tenantId), tenantId).toThrow(TenantIsolationError);
    }
    expect(send).not.toHaveBeenCalled();
  });

  it("caches credentials per tenant", async () => {
    const { client, assumedFor } = fakeSts();
    const credentials = createTenantCredentials({ roleArn, sts: client });
    const first = await credentials.forTenant("acme")();
    expect(await credentials.forTenant("acme")()).toBe(first);
    const other = await credentials.forTenant("globex")();
    expect(other.accessKeyId).not.toBe(first.accessKeyId);
    expect(assumedFor()).toEqual(["acme", "globex"]);
  });

  it("assumes the role again once the credentials are within the refresh margin of expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const { client, assumedFor } = fakeSts();
    const provider = createTenantCredentials({
      roleArn,
      sts: client,
      durationSeconds: 900,
      refreshMarginSeconds: 60,
    }).forTenant("acme");
    const first = await provider();
    vi.setSystemTime(new Date("2026-01-01T00:13:59Z"));
    expect(await provider()).toBe(first);
    vi.setSystemTime(new Date("2026-01-01T00:14:01Z"));
    const refreshed = await provider();
    expect(refreshed).not.toBe(first);
    expect(await provider()).toBe(refreshed);
    expect(assumedFor()).toEqual(["acme", "acme"]);
  });

  it("shares one AssumeRole among concurrent first calls for a tenant", async () => {
    const { client, assumedFor } = fakeSts();
    const credentials = createTenantCredentials({ roleArn, sts: client });
    const results = await Promise.all([
      credentials.forTenant("acme")(),
      credentials.forTenant("acme")(),
      credentials.forTenant("acme")(),
    ]);
    expect(new Set(results).size).toBe(1);
    expect(assumedFor()).toEqual(["acme"]);
  });

  it("shares one AssumeRole among concurrent calls that find the credentials due for refresh", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const { client, assumedFor } = fakeSts();
    const provider = createTenantCredentials({ roleArn, sts: client, durationSeconds: 900 }).forTenant("acme");
    const first = await provider();
    vi.setSystemTime(new Date("2026-01-01T00:14:00Z"));
    const refreshed = await Promise.all([provider(), provider(), provider()]);
    expect(new Set(refreshed).size).toBe(1);
    expect(refreshed[0]).not.toBe(first);
    expect(assumedFor()).toEqual(["acme", "acme"]);
  });

  it("gives concurrent callers the failure of the AssumeRole they waited for, instead of one retry each", async () => {
    const { client, send } = fakeSts();
    send.mockRejectedValueOnce(new Error("Throttling"));
    const provider = createTenantCredentials({ roleArn, sts: client }).forTenant("acme");
    const outcomes = await Promise.allSettled([provider(), provider(), provider()]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(send).toHaveBeenCalledOnce();
  });

  it("keeps handing out credentials due for refresh but not expired while the refresh fails, and retries", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const { client, send, assumedFor } = fakeSts();
    const provider = createTenantCredentials({ roleArn, sts: client, durationSeconds: 900 }).forTenant("acme");
    const first = await provider();
    vi.setSystemTime(new Date("2026-01-01T00:14:00Z"));
    send.mockRejectedValueOnce(new Error("Throttling"));
    expect(await Promise.all([provider(), provider()])).toEqual([first, first]);
    expect(assumedFor()).toEqual(["acme", "acme"]);
    vi.setSystemTime(new Date("2026-01-01T00:14:01Z"));
    const refreshed = await provider();
    expect(refreshed).not.toBe(first);
    expect(assumedFor()).toEqual(["acme", "acme", "acme"]);
    vi.setSystemTime(new Date("2026-01-01T00:15:01Z"));
    expect(await provider()).toBe(refreshed);
  });

  it("hands out no credentials expired, or with less than 30 s left, when a refresh fails", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const { client, send } = fakeSts();
    const provider = createTenantCredentials({ roleArn, sts: client, durationSeconds: 900 }).forTenant("acme");
    await provider();
    for (const at of ["2026-01-01T00:14:31Z", "2026-01-01T00:15:01Z"]) {
      vi.setSystemTime(new Date(at));
      send.mockRejectedValueOnce(new Error("Throttling"));
      await expect(provider(), at).rejects.toThrow("Throttling");
    }
  });

  it("answers a failed AssumeRole's failure for a second, then tries again: one try per second, not per call", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const { client, send, assumedFor } = fakeSts();
    send.mockRejectedValueOnce(new Error("Throttling"));
    const provider = createTenantCredentials({ roleArn, sts: client }).forTenant("acme");
    await expect(provider()).rejects.toThrow("Throttling");
    await expect(provider()).rejects.toThrow("Throttling");
    expect(assumedFor()).toEqual(["acme"]);
    vi.setSystemTime(new Date("2026-01-01T00:00:01Z"));
    const credentials = await provider();
    expect(await provider()).toBe(credentials);
    expect(assumedFor()).toEqual(["acme", "acme"]);
  });

  it("keeps at most maxTenants tenants, dropping the least recently used", async () => {
    const { client, assumedFor } = fakeSts();
    const credentials = createTenantCredentials({ roleArn, sts: client, maxTenants: 2 });
    for (const tenant of ["acme", "globex", "acme", "initech", "acme", "globex"]) await credentials.forTenant(tenant)();
    expect(assumedFor()).toEqual(["acme", "globex", "initech", "globex"]);
  });

  it("keeps 500 tenants by default", async () => {
    const { client, send } = fakeSts();
    const credentials = createTenantCredentials({ roleArn, sts: client });
    const tenants = Array.from({ length: 501 }, (_, i) => `tenant-${i}`);
    for (const tenant of tenants) await credentials.forTenant(tenant)();
    await credentials.forTenant("tenant-500")();
    await credentials.forTenant("tenant-1")();
    expect(send).toHaveBeenCalledTimes(501);
    await credentials.forTenant("tenant-0")();
    expect(send).toHaveBeenCalledTimes(502);
  });
});

describe("tenantDataCredentials", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("is one source per role per container, shared by every part of a function that reads tenant data", () => {
    const role = "arn:aws:iam::123456789012:role/stack-tenant-data";
    expect(tenantDataCredentials(role)).toBe(tenantDataCredentials(role));
    expect(tenantDataCredentials(`${role}-other`)).not.toBe(tenantDataCredentials(role));
    vi.stubEnv("TENANT_DATA_ROLE_ARN", role);
    expect(environmentTenantCredentials()).toBe(tenantDataCredentials(role));
  });

  it("requires the role on Lambda, and is absent elsewhere without it", () => {
    vi.stubEnv("TENANT_DATA_ROLE_ARN", undefined);
    expect(environmentTenantCredentials()).toBeUndefined();
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "products");
    expect(() => environmentTenantCredentials()).toThrow(/TENANT_DATA_ROLE_ARN/);
  });
});
