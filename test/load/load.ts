/**
 * Load with accounting: N tenants create, read and list products concurrently through the local
 * gateway for T seconds (autocannon). Every answer is checked as it arrives (no other tenant's
 * data), every create is booked by outcome, and afterwards each tenant's catalogue is read back
 * and reconciled exactly against the books: every acknowledged write is there as acknowledged,
 * nothing answered with an error was written, and the only other products are creates whose
 * answer never arrived (cut off when the run stopped).
 */
import type { Tier } from "@tenantkit/tenant-context";
import autocannon from "autocannon";
import { apiAs } from "../security/support/http.ts";
import { onboardTestTenant, type StackWithResources, type TestTenant } from "../security/support/local-stack.ts";

export interface LoadOptions {
  stack: StackWithResources;
  tenants: number;
  connectionsPerTenant: number;
  durationSeconds: number;
  /** premium by default: its usage plan allows the most requests among the pooled tiers */
  tier?: Tier;
  log?: (line: string) => void;
}

interface ProductWritten {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
}

/** What one tenant's clients did and saw. */
interface TenantBooks {
  tenant: TestTenant;
  prefix: string;
  sequence: number;
  acknowledged: Map<string, ProductWritten>;
  /** creates answered with an error status: none of them may be stored */
  refusedNames: Set<string>;
  /** creates sent but never answered (the run ended first): each may or may not be stored */
  unansweredNames: Set<string>;
  /** acknowledged creates that a read right after did not find */
  unreadable: string[];
}

export interface TenantReconciliation {
  tenantId: string;
  acknowledged: number;
  refused: number;
  unanswered: number;
  stored: number;
  /** acknowledged writes missing or different in storage */
  lost: string[];
  /** stored products that were refused or never sent by this tenant */
  unexpected: string[];
  /** stock summed over the stored catalogue, and what the books say it must be */
  stockStored: number;
  stockBooked: number;
}

export interface LoadReport {
  durationSeconds: number;
  requests: number;
  ratePerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
  connectionErrors: number;
  timeouts: number;
  tenants: TenantReconciliation[];
  /** answers that carried another tenant's data */
  leaks: string[];
  /** acknowledged writes that could not be read right after */
  unreadable: string[];
  reconciled: boolean;
}

const PRICE = 250;

function productFor(books: TenantBooks) {
  books.sequence += 1;
  return { name: `${books.prefix}${books.sequence}`, priceCents: PRICE, currency: "EUR", stock: books.sequence % 7 };
}

/** Every product name in a body must carry the caller's prefix; anything else is a leak. */
function leaksIn(body: string, books: TenantBooks): string[] {
  const names = [...body.matchAll(/"name":"([^"]*)"/g)].map((m) => m[1] as string);
  return names.filter((name) => !name.startsWith(books.prefix)).map((name) => `${books.tenant.tenantId} saw "${name}"`);
}

/** What one connection remembers between its requests (autocannon resets it every round). */
interface ConnectionContext {
  sent?: string;
  lastId?: string | undefined;
}
const remembered = (context: object) => context as ConnectionContext;

function requestsFor(books: TenantBooks, leaks: string[]): autocannon.Request[] {
  const headers = { authorization: `Bearer ${books.tenant.admin.token}`, "content-type": "application/json" };
  return [
    {
      method: "POST",
      path: "/products",
      headers,
      setupRequest: (request, context) => {
        const product = productFor(books);
        remembered(context).sent = product.name;
        books.unansweredNames.add(product.name);
        return { ...request, body: JSON.stringify(product) };
      },
      onResponse: (status, body, context) => {
        const name = remembered(context).sent as string;
        books.unansweredNames.delete(name);
        leaks.push(...leaksIn(body, books));
        if (status !== 201) {
          books.refusedNames.add(name);
          remembered(context).lastId = undefined;
          return;
        }
        const created = JSON.parse(body) as ProductWritten;
        books.acknowledged.set(created.id, {
          id: created.id,
          name,
          priceCents: created.priceCents,
          stock: created.stock,
        });
        remembered(context).lastId = created.id;
      },
    },
    {
      method: "GET",
      headers,
      setupRequest: (request, context) => ({
        ...request,
        path: remembered(context).lastId ? `/products/${remembered(context).lastId}` : "/products?limit=1",
      }),
      onResponse: (status, body, context) => {
        leaks.push(...leaksIn(body, books));
        const { lastId } = remembered(context);
        if (lastId && status === 404) books.unreadable.push(`${books.tenant.tenantId}/${lastId}`);
      },
    },
    {
      method: "GET",
      path: "/products?limit=20",
      headers,
      onResponse: (_status, body) => {
        leaks.push(...leaksIn(body, books));
      },
    },
  ];
}

async function storedCatalogue(stack: StackWithResources, books: TenantBooks): Promise<ProductWritten[]> {
  const api = apiAs(stack.url, books.tenant.admin.token);
  const items: ProductWritten[] = [];
  let cursor: string | undefined;
  do {
    const page = await api("GET", `/products?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    if (page.status !== 200) throw new Error(`reading back ${books.tenant.tenantId}: ${page.status} ${page.text}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

function reconcile(books: TenantBooks, stored: ProductWritten[]): TenantReconciliation {
  const storedById = new Map(stored.map((p) => [p.id, p]));
  const lost: string[] = [];
  for (const written of books.acknowledged.values()) {
    const found = storedById.get(written.id);
    if (!found) lost.push(`${written.id} (${written.name}) is missing`);
    else if (found.name !== written.name || found.stock !== written.stock || found.priceCents !== written.priceCents) {
      lost.push(`${written.id} differs: stored ${JSON.stringify(found)}`);
    }
  }
  const unexpected = stored
    .filter((p) => !books.acknowledged.has(p.id) && !books.unansweredNames.has(p.name))
    .map((p) =>
      books.refusedNames.has(p.name) ? `${p.name} was answered with an error yet stored` : `${p.name} was never sent`,
    );
  const booked = [...books.acknowledged.values()].reduce((sum, p) => sum + p.stock, 0);
  const landedUnanswered = stored.filter((p) => !books.acknowledged.has(p.id) && books.unansweredNames.has(p.name));
  return {
    tenantId: books.tenant.tenantId,
    acknowledged: books.acknowledged.size,
    refused: books.refusedNames.size,
    unanswered: books.unansweredNames.size,
    stored: stored.length,
    lost,
    unexpected,
    stockStored: stored.reduce((sum, p) => sum + p.stock, 0),
    stockBooked: booked + landedUnanswered.reduce((sum, p) => sum + p.stock, 0),
  };
}

/** Runs the load and the reconciliation; never throws for a failed check, it reports it. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => {});
  const { stack } = options;
  log(`onboarding ${options.tenants} tenants (${options.tier ?? "premium"})`);
  const tenants = await Promise.all(
    Array.from({ length: options.tenants }, () => onboardTestTenant(stack, "load", options.tier ?? "premium")),
  );
  const books: TenantBooks[] = tenants.map((tenant) => ({
    tenant,
    prefix: `${tenant.tenantId}:`,
    sequence: 0,
    acknowledged: new Map(),
    refusedNames: new Set(),
    unansweredNames: new Set(),
    unreadable: [],
  }));
  const leaks: string[] = [];
  const connections = options.tenants * options.connectionsPerTenant;
  let nextClient = 0;

  // Warm-up (reads only, not measured): start the function workers and fill the authorizer's cache.
  await Promise.all(
    Array.from({ length: connections }, (_, i) =>
      apiAs(stack.url, (books[i % books.length] as TenantBooks).tenant.admin.token)("GET", "/products?limit=1"),
    ),
  );

  log(`${connections} connections for ${options.durationSeconds} s against ${stack.url}`);
  const result = await autocannon({
    url: stack.url,
    connections,
    duration: options.durationSeconds,
    timeout: 20,
    // each connection belongs to one tenant, in turn
    setupClient: (client) => {
      const tenantBooks = books[nextClient++ % books.length] as TenantBooks;
      client.setRequests(requestsFor(tenantBooks, leaks));
    },
  });

  log("reading every tenant's catalogue back");
  const tenantsReport: TenantReconciliation[] = [];
  for (const tenantBooks of books) {
    const stored = await storedCatalogue(stack, tenantBooks);
    leaks.push(
      ...stored.flatMap((p) =>
        p.name.startsWith(tenantBooks.prefix) ? [] : [`${tenantBooks.tenant.tenantId} stores "${p.name}"`],
      ),
    );
    tenantsReport.push(reconcile(tenantBooks, stored));
  }
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, (stats as { count: number }).count]),
  );
  const unreadable = books.flatMap((b) => b.unreadable);
  const reconciled =
    leaks.length === 0 &&
    unreadable.length === 0 &&
    tenantsReport.every((t) => t.lost.length === 0 && t.unexpected.length === 0 && t.stockStored === t.stockBooked);
  const requests = result.requests.total;
  return {
    durationSeconds: result.duration,
    requests,
    ratePerSecond: Math.round(requests / result.duration),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statuses,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    tenants: tenantsReport,
    leaks,
    unreadable,
    reconciled,
  };
}

/** The report as the terminal shows it. */
export function formatReport(report: LoadReport): string {
  const lines = [
    `requests: ${report.requests} in ${report.durationSeconds.toFixed(1)} s = ${report.ratePerSecond} req/s`,
    `latency: p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`,
    `statuses: ${JSON.stringify(report.statuses)}; connection errors ${report.connectionErrors}, timeouts ${report.timeouts}`,
    "tenant                              acked  refused  unanswered  stored  lost  unexpected  stock stored/booked",
    ...report.tenants.map(
      (t) =>
        `${t.tenantId.padEnd(34)} ${String(t.acknowledged).padStart(6)} ${String(t.refused).padStart(8)} ${String(t.unanswered).padStart(11)} ${String(t.stored).padStart(7)} ${String(t.lost.length).padStart(5)} ${String(t.unexpected.length).padStart(11)}  ${t.stockStored}/${t.stockBooked}`,
    ),
    `cross-tenant data in answers: ${report.leaks.length}; acknowledged writes not readable right after: ${report.unreadable.length}`,
    report.reconciled
      ? "RECONCILED: every acknowledged write is stored as acknowledged, nothing else"
      : "NOT RECONCILED",
  ];
  for (const t of report.tenants)
    for (const problem of [...t.lost, ...t.unexpected].slice(0, 10)) lines.push(`  ${t.tenantId}: ${problem}`);
  for (const leak of report.leaks.slice(0, 10)) lines.push(`  leak: ${leak}`);
  return lines.join("\n");
}
