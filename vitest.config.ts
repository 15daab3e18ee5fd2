import { defineConfig } from "vitest/config";

const SETUP = "./vitest.setup.ts";
/** The packages' export condition for their TypeScript sources (docs/conventions.md, "Build"). */
const SOURCE_CONDITION = "tempel-source";

export default defineConfig({
  // Tests import the packages' sources, not their build (which they need not wait for).
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          setupFiles: [SETUP],
          include: ["packages/*/test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "sim",
          setupFiles: [SETUP],
          include: ["packages/*/test/sim/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          setupFiles: [SETUP],
          include: ["packages/*/test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          // Two files at a time: e2e files mostly wait (for rounds, processes, elections), and one at
          // a time they took ~700 of the suite's 900 s. After the unit and sim files (group 0), whose
          // worker count vitest picks from the cores, since a group has one worker count.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
