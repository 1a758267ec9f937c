/** Test projects: unit (no network), integration (a moto server), e2e (the whole local stack). */
import { defineConfig } from "vitest/config";

const exclude = ["**/node_modules/**", ".aws-sam/**", ".tenantkit/**", ".venv/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts", "**/*.e2e.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude,
          globalSetup: ["test/setup/moto.ts"],
          setupFiles: ["test/setup/aws-env.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.e2e.test.ts"],
          exclude,
          globalSetup: ["test/setup/local-stack.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
