/** Writes `src/api-types.ts` from the API's OpenAPI document (`npm run generate -w @tenantkit/client`). */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import { buildOpenApiDocument } from "../../../tools/local/openapi.ts";

export const typesPath = fileURLToPath(new URL("./api-types.ts", import.meta.url));
const biome = fileURLToPath(new URL("../../../node_modules/.bin/biome", import.meta.url));

const HEADER = `/**
 * The Tenantkit API's types, generated from its OpenAPI document (tools/local/openapi.ts) by
 * openapi-typescript. Do not edit: run \`npm run generate -w @tenantkit/client\` after changing a route.
 */
`;

/** The file's text as the generator writes it, formatted as the repository formats TypeScript. */
export async function generatedTypes(): Promise<string> {
  const text = HEADER + astToString(await openapiTS(buildOpenApiDocument() as OpenAPI3));
  return execFileSync(biome, ["format", `--stdin-file-path=${typesPath}`], { input: text, encoding: "utf8" });
}

if (process.argv[1] === import.meta.filename) {
  await writeFile(typesPath, await generatedTypes());
  console.log(`wrote ${typesPath}`);
}
