import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generatedTypes, typesPath } from "./generate-types.ts";

describe("the client's generated API types", () => {
  it("match the OpenAPI document the services describe (else run `npm run generate -w @tenantkit/client`)", async () => {
    expect(await readFile(typesPath, "utf8")).toBe(await generatedTypes());
  }, 60_000);
});
