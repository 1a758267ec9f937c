import type { TenantRecord } from "@tenantkit/tenant-context";
import { captureOutput } from "@tenantkit/tenant-context/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SiloTables, TenantDataAdmin, TenantRecords } from "../ports.ts";
import { type ChangeTierDeps, MOVE_HEARTBEAT_MS, startTierChange } from "./change-tier.ts";

const NOW = new Date("2026-11-30T12:00:00.000Z");

/** One tenant's record in memory, changed only as `transition` allows. */
function recordsOf(initial: TenantRecord): TenantRecords & { current(): TenantRecord } {
  let record = initial;
  return {
    current: () => record,
    get: async () => record,
    transition: async (_id: string, from: readonly TenantRecord["status"][], changes: Partial<TenantRecord>) => {
      if (!from.includes(record.status)) return false;
      record = { ...record, ...changes };
      return true;
    },
  } as unknown as TenantRecords & { current(): TenantRecord };
}

/** A move's dependencies in memory; `settle` waits until the test lets it go. */
function moveDeps(overrides: { data?: Partial<TenantDataAdmin> } = {}) {
  const records = recordsOf({
    tenantId: "acme",
    name: "Acme",
    tier: "basic",
    status: "ACTIVE",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  });
  let release!: () => void;
  const settled = new Promise<void>((resolve) => {
    release = resolve;
  });
  const siloTables: SiloTables = {
    namesFor: (tenantId) => ({ products: `stack-tenant-${tenantId}-products` }),
    create: async (tenantId) => ({ products: `stack-tenant-${tenantId}-products` }),
    delete: async () => undefined,
  };
  const data = {
    tableNames: ["products"],
    items: async function* () {},
    copy: async () => ({ products: 3 }),
    count: async () => ({ products: 3 }),
    deleteAll: async () => undefined,
    ...overrides.data,
  } as TenantDataAdmin;
  const deps: ChangeTierDeps = { records, data, siloTables, settle: () => settled };
  return { deps, records, release };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a tier move's lines", () => {
  it("repeat the MIGRATING record every minute while the move waits, so the stream is never idle for long", async () => {
    vi.useFakeTimers();
    const { deps, release } = moveDeps();
    const started = await startTierChange(deps, "acme", "enterprise", NOW);
    const lines = started.move as AsyncGenerator<{ record: TenantRecord }>;
    const statuses: string[] = [];
    const reading = (async () => {
      for await (const line of lines) statuses.push(`${line.record.status} ${line.record.tier}`);
    })();
    await vi.advanceTimersByTimeAsync(MOVE_HEARTBEAT_MS * 2 + 1);
    expect(statuses).toEqual(["MIGRATING basic", "MIGRATING basic", "MIGRATING basic"]);
    release();
    await reading;
    expect(statuses).toEqual(["MIGRATING basic", "MIGRATING basic", "MIGRATING basic", "ACTIVE enterprise"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("a tier move that fails", () => {
  it("restores the tenant ACTIVE on its old tier even when removing the partial copy fails too, and throws the first failure", async () => {
    const { deps, records, release } = moveDeps({
      // The copy comes out short: the move undoes itself.
      data: { count: async (_tenantId, tables) => ({ products: tables ? 2 : 3 }) },
    });
    // Removing the dedicated tables is how a move to silo undoes itself; that fails as well.
    deps.siloTables.delete = async () => {
      throw new Error("throttled while deleting the tables");
    };
    const output = captureOutput();
    try {
      const started = await startTierChange(deps, "acme", "enterprise", NOW);
      release();
      await expect(
        (async () => {
          for await (const _line of started.move ?? []);
        })(),
      ).rejects.toThrow("copy of acme does not match");
    } finally {
      output.restore();
    }
    expect(records.current()).toMatchObject({ tier: "basic", status: "ACTIVE" });
    expect(output.lines()).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        message: "a failed tier change could not remove its partial copy",
        tenant_id: "acme",
      }),
    );
  });
});
