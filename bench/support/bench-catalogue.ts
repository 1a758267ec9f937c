/** The generated catalogue of the bench tenants: product ids in index order, items as DynamoDB stores them. */

/** Ids sort in index order and are valid UUIDs (the API validates path ids). */
export function benchProductId(index: number): string {
  return `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
}

const ID_PATTERN = /^00000000-0000-4000-8000-(\d{12})$/;

/** The index of a bench product id; undefined for any other id. */
export function benchProductIndex(productId: string | undefined): number | undefined {
  const match = ID_PATTERN.exec(productId ?? "");
  return match ? Number(match[1]) : undefined;
}

/** A product item as the product store writes it (about 330 bytes as an NDJSON line). */
export function benchProduct(tenantId: string, index: number) {
  return {
    tenantId,
    productId: benchProductId(index),
    name: `Bench product ${index}`,
    description: "A generated product of the benchmark catalogue, long enough to look like a real one.",
    sku: `BENCH-${index}`,
    priceCents: 1000 + (index % 9000),
    currency: "EUR",
    stock: index % 100,
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** The same item in DynamoDB JSON, as DynamoDB returns it. */
export function storedBenchProduct(tenantId: string, index: number) {
  return Object.fromEntries(
    Object.entries(benchProduct(tenantId, index)).map(([name, value]) => [
      name,
      typeof value === "number" ? { N: String(value) } : { S: value },
    ]),
  );
}
