import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "sim",
          include: ["packages/*/test/sim/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["packages/*/test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
