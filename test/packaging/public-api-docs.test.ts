/**
 * The layer's public API is documented where it is declared. Every entry point in the layer's
 * package.json "exports" (`@tenantkit/tenant-context`, `.../testing`, ...) is loaded with the
 * TypeScript compiler API, and every VALUE it exports (aliases and `export *` resolved to the
 * declaration) must follow one rule:
 *
 * - functions, classes, and consts that hold a function or a class (anything callable or
 *   constructible, e.g. `tenantContext`, `handleError`) need a JSDoc `@example` with a non-empty
 *   body; for a class, on the class itself;
 * - every other exported value (plain data: a regex, a string, a list of tiers, the shared logger)
 *   needs at least a JSDoc summary.
 *
 * Only the declaration's own doc comment counts: the JSDoc block right above it, not a file's header
 * comment that TypeScript would otherwise attach to the file's first statement.
 *
 * Type-only exports (interfaces, type aliases) are not checked. Values the layer merely re-exports
 * from another package (e.g. Powertools' `MetricUnit`) are that package's to document and are skipped.
 */
import { readFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const layerRoot = join(repoRoot, "layers/tenant-context");
/** The layer's sources, spelled as TypeScript spells file names (always with `/`). */
const layerSources = `${layerRoot.split(sep).join("/")}/src/`;

interface PackageJson {
  name: string;
  exports: Record<string, string>;
}
const layerPackage = JSON.parse(readFileSync(join(layerRoot, "package.json"), "utf8")) as PackageJson;

/** Import specifier (`@tenantkit/tenant-context/testing`) -> absolute path of its entry file. */
const entries = Object.entries(layerPackage.exports).map(([subpath, file]) => ({
  specifier: posix.join(layerPackage.name, subpath),
  file: join(layerRoot, file),
}));

/** The repository's compiler options (tsconfig.json), without its file list: the entries pull in the rest. */
function compilerOptions(): ts.CompilerOptions {
  const tsconfigPath = join(repoRoot, "tsconfig.json");
  const { config, error } = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const { options, errors } = ts.convertCompilerOptionsFromJson(config.compilerOptions, dirname(tsconfigPath));
  const [invalid] = errors;
  if (invalid) throw new Error(ts.flattenDiagnosticMessageText(invalid.messageText, "\n"));
  return { ...options, noEmit: true };
}

type Kind = "callable" | "data";

interface PublicValue {
  /** e.g. `tenantContext (@tenantkit/tenant-context) layers/tenant-context/src/http/tenant-context.ts:190` */
  label: string;
  kind: Kind;
  declarations: ts.Declaration[];
}

/** Every exported value of every entry point, each resolved to its declaration once. */
function publicValues(): PublicValue[] {
  const program = ts.createProgram(
    entries.map((entry) => entry.file),
    compilerOptions(),
  );
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Symbol>();
  const values: PublicValue[] = [];
  for (const entry of entries) {
    const source = program.getSourceFile(entry.file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${entry.specifier}: ${entry.file} is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Value) || seen.has(symbol)) continue;
      seen.add(symbol);
      const declarations = (symbol.declarations ?? []).filter((d) =>
        d.getSourceFile().fileName.startsWith(layerSources),
      );
      const [first] = declarations;
      if (!first) continue; // a re-export of another package's value
      const where = first.getSourceFile();
      const line = where.getLineAndCharacterOfPosition(first.getStart()).line + 1;
      const type = checker.getTypeOfSymbolAtLocation(symbol, first);
      const callable =
        symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class) ||
        type.getCallSignatures().length > 0 ||
        type.getConstructSignatures().length > 0;
      values.push({
        label: `${exported.name} (${entry.specifier}) ${relative(repoRoot, where.fileName)}:${line}`,
        kind: callable ? "callable" : "data",
        declarations,
      });
    }
  }
  return values;
}

/**
 * The declaration's own doc comment: the last JSDoc block right above it. TypeScript also attaches
 * a block that a blank line separates from the declaration, such as a file's header comment above
 * its first statement; that one documents the file, not the export, so it does not count here.
 */
function ownDoc(declaration: ts.Declaration): ts.JSDoc | undefined {
  const doc = ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc).at(-1);
  if (!doc) return undefined;
  const between = doc.getSourceFile().text.slice(doc.end, doc.parent.getStart());
  return /\n[ \t]*\r?\n/.test(between) ? undefined : doc;
}

const textOf = (comment: ts.JSDoc["comment"]) => (ts.getTextOfJSDocComment(comment) ?? "").trim();

/** Whether one of the declarations' own doc comments has an `@example` with something in it. */
function hasExample(declarations: ts.Declaration[]): boolean {
  return declarations.some((declaration) =>
    (ownDoc(declaration)?.tags ?? []).some((tag) => tag.tagName.text === "example" && textOf(tag.comment) !== ""),
  );
}

/** Whether one of the declarations' own doc comments has a summary (text before its tags). */
function hasSummary(declarations: ts.Declaration[]): boolean {
  return declarations.some((declaration) => textOf(ownDoc(declaration)?.comment) !== "");
}

const values = publicValues();
const callables = values.filter((value) => value.kind === "callable");
const data = values.filter((value) => value.kind === "data");

describe("the tenant-context layer's public API docs", () => {
  it("finds the exports of every entry point", () => {
    const names = values.map((value) => value.label.split(" ")[0]);
    expect(entries.map((entry) => entry.specifier)).toContain("@tenantkit/tenant-context/testing");
    expect(names).toEqual(expect.arrayContaining(["tenantContext", "ProblemError", "TIERS", "testSigningKey"]));
    expect(names).not.toContain("TenantEnv"); // type-only
    expect(callables.length).toBeGreaterThan(50);
  });

  it("gives every exported function and class a JSDoc @example", () => {
    const missing = callables.filter((value) => !hasExample(value.declarations)).map((value) => value.label);
    expect(missing.length, `exports without a JSDoc @example:\n  ${missing.join("\n  ")}\n`).toBe(0);
  });

  it("gives every other exported value at least a JSDoc summary", () => {
    const missing = data.filter((value) => !hasSummary(value.declarations)).map((value) => value.label);
    expect(missing.length, `exports without a JSDoc summary:\n  ${missing.join("\n  ")}\n`).toBe(0);
  });
});
