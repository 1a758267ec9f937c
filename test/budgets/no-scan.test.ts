/**
 * CI gate: no code path uses DynamoDB Scan. A Scan reads every tenant's items of a pooled table, so
 * the code never sends one (static check of the sources), the tenant-scoped table does not offer
 * one, and no explicit IAM statement grants one. (The runtime count is in call-counts.int.test.ts.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createTenantScopedTable } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { type Json, loadTemplate, repoRoot } from "../../tools/local/template.ts";

/** Where runtime code lives: services, the layer, shared helpers, the local stack. */
const SOURCE_ROOTS = ["functions", "layers/tenant-context/src", "shared/src", "tools/local"];
const CODE_FILE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
/** A Scan by any SDK spelling: the command, the paginator, the operation name, a `.scan(` method. */
const SCAN_USE = /\b(?:ScanCommand|paginateScan|ParallelScan)\b|["'`]Scan["'`]|\.scan\s*\(/;

function sourceFiles(): string[] {
  return SOURCE_ROOTS.flatMap((root) =>
    readdirSync(join(repoRoot, root), { recursive: true, encoding: "utf8" })
      .filter((path) => CODE_FILE.test(path) && !/\.test\.ts$/.test(path) && !path.includes("node_modules"))
      .map((path) => join(repoRoot, root, path)),
  );
}

/** Every IAM statement written out in the template (inline policies, managed policies, role policies). */
function explicitStatements(template: Json): { resource: string; actions: string[] }[] {
  const found: { resource: string; actions: string[] }[] = [];
  const visit = (value: Json, resource: string) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, resource);
      return;
    }
    if (value === null || typeof value !== "object") return;
    if ("Action" in value && "Effect" in value) {
      const actions = Array.isArray(value.Action) ? value.Action : [value.Action];
      found.push({ resource, actions: actions.filter((a: unknown) => typeof a === "string") });
    }
    for (const child of Object.values(value)) visit(child, resource);
  };
  for (const [id, resource] of Object.entries<Json>(template.Resources)) visit(resource.Properties, id);
  return found;
}

describe("no DynamoDB Scan anywhere", () => {
  it("finds no Scan in the runtime code of services, layer, shared helpers and local stack", () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(20);
    const offenders = files
      .map((path) => ({ path: relative(repoRoot, path), text: readFileSync(path, "utf8") }))
      .flatMap(({ path, text }) =>
        text
          .split("\n")
          .flatMap((line, index) => (SCAN_USE.test(line) ? [`${path}:${index + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it("offers no scan on the tenant-scoped table", () => {
    const table = createTenantScopedTable({ client: {} as never, tableName: "products", tenantId: "acme" });
    expect(Object.keys(table).map((key) => key.toLowerCase())).not.toContain("scan");
  });

  it("grants dynamodb:Scan in no IAM statement written in template.yaml", () => {
    const statements = explicitStatements(loadTemplate());
    expect(statements.length).toBeGreaterThan(0);
    const grants = statements.filter(({ actions }) =>
      actions.some((action) => /^(?:dynamodb:(?:Scan|\*)|\*)$/i.test(action)),
    );
    expect(grants).toEqual([]);
  });
});
