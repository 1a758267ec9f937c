import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createTenantCredentials } from "../data/tenant-credentials.ts";
import { TenantIsolationError } from "../http/errors.ts";
import { createAppConfig } from "./app-config.ts";
import { createTenantSecrets } from "./tenant-secrets.ts";

const { context } = inject("localAws");
const stage = context.parameters.Stage as string;
const suffix = Date.now().toString(36);
const red = `red-${suffix}`;
const blue = `blue-${suffix}`;
const admin = new SecretsManagerClient({});

const secrets = createTenantSecrets({
  stage,
  credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  maxAgeSeconds: 60,
});

beforeAll(async () => {
  await admin.send(
    new CreateSecretCommand({ Name: `/${stage}/tenants/${red}/payments/api-key`, SecretString: "red-key-1" }),
  );
  await admin.send(
    new CreateSecretCommand({
      Name: `/${stage}/tenants/${red}/webhook`,
      SecretString: '{"url":"https://red.test/hook"}',
    }),
  );
});

describe("tenant secrets (Secrets Manager on moto, Powertools Parameters)", () => {
  it("reads the caller's tenant's secret by its name below the tenant folder", async () => {
    expect(await secrets.forTenant(red).get("payments/api-key")).toBe("red-key-1");
    expect(await secrets.forTenant(red).getJson("webhook")).toEqual({ url: "https://red.test/hook" });
  });

  it("cannot reach another tenant's secret: the same name resolves inside the caller's own folder", async () => {
    await expect(secrets.forTenant(blue).get("payments/api-key")).rejects.toThrow(
      "secret 'payments/api-key' does not exist",
    );
    await admin.send(
      new CreateSecretCommand({ Name: `/${stage}/tenants/${blue}/payments/api-key`, SecretString: "blue-key-1" }),
    );
    expect(await secrets.forTenant(blue).get("payments/api-key")).toBe("blue-key-1");
    expect(await secrets.forTenant(red).get("payments/api-key")).toBe("red-key-1");
  });

  it("refuses names that try to leave the tenant's folder", async () => {
    for (const name of [`../${red}/payments/api-key`, "/local/tenants/x/y", "a/../../b", "", "a//b", "./x", "a/."]) {
      await expect(secrets.forTenant(blue).get(name), name).rejects.toThrow(/invalid secret name/);
    }
  });

  it("refuses a name longer than Secrets Manager takes, quoting only its start", async () => {
    const failure = await secrets
      .forTenant(red)
      .get("x".repeat(600))
      .catch((error: Error) => error);
    expect((failure as Error).message).toBe(`invalid secret name '${"x".repeat(64)}…'`);
  });

  it("refuses a binary secret, which is not the text get() promises", async () => {
    await admin.send(
      new CreateSecretCommand({ Name: `/${stage}/tenants/${red}/binary`, SecretBinary: new Uint8Array([1, 2, 3]) }),
    );
    await expect(secrets.forTenant(red).get("binary")).rejects.toThrow("secret 'binary' is binary, not text");
  });

  it("refuses a tenant id that is not one, which could name another tenant's folder", async () => {
    // "<red>/payments" + "api-key" would be red's own secret, read for a caller named that way.
    await expect(secrets.forTenant(`${red}/payments`).get("api-key")).rejects.toBeInstanceOf(TenantIsolationError);
  });

  it("refuses a value that is not JSON without quoting any of it", async () => {
    await admin.send(
      new CreateSecretCommand({ Name: `/${stage}/tenants/${red}/not-json`, SecretString: "hunter2-do-not-log" }),
    );
    const failure = await secrets
      .forTenant(red)
      .getJson("not-json")
      .catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe("secret 'not-json' is not valid JSON");
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain("hunter2");
  });

  it("serves a value from the Powertools cache within maxAge", async () => {
    const name = `/${stage}/tenants/${red}/payments/api-key`;
    await secrets.forTenant(red).get("payments/api-key");
    await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: "red-key-2" }));
    expect(await secrets.forTenant(red).get("payments/api-key")).toBe("red-key-1");
  });
});

describe("global configuration (SSM on moto)", () => {
  it("reads the tier limits and feature flags provisioned from template.yaml", async () => {
    const tiers = await createAppConfig({ stage }).getJson<
      Record<string, { tenantDailyQuota: number; features: object }>
    >("tiers");
    expect(Object.keys(tiers).sort()).toEqual(["basic", "enterprise", "premium", "standard"]);
    expect(tiers.basic?.tenantDailyQuota).toBeGreaterThan(0);
  });

  it("names a parameter that does not exist", async () => {
    await expect(createAppConfig({ stage }).getJson("no-such-setting")).rejects.toThrow(
      "configuration 'no-such-setting' does not exist",
    );
  });
});
