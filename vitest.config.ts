import { defineConfig } from "vitest/config";

const SETUP = "./vitest.setup.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          setupFiles: [SETUP],
          include: ["packages/*/test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "sim",
          setupFiles: [SETUP],
          include: ["packages/*/test/sim/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "e2e",
          setupFiles: [SETUP],
          include: ["packages/*/test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
