// Runs the whole default suite (typecheck, lint, build, unit + e2e tests) and ends with one plain
// "N passed, N failed" line that CI systems read regardless of the test runner.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

function run(command: string, args: string[]): number {
  console.log(`\n$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit" });
  return result.status ?? 1;
}

// npm scripts run on the Node the root devDependency `node` pins (node_modules/.bin/node). An
// `npm install` that reinstalls the `node22` devDependency alone links its `node` there instead.
const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
  devDependencies: Record<string, string>;
};
const pinnedMajor = /\d+/.exec(manifest.devDependencies.node!)![0];
if (process.versions.node.split(".")[0] !== pinnedMajor) {
  console.error(
    `node_modules/.bin/node is Node ${process.version}, not the pinned Node ${pinnedMajor}: run npm ci`,
  );
  process.exit(1);
}

/** The suite has a 15-minute budget in CI: the files that spend most of it, to know where to look. */
function printSlowestFiles(files: readonly { name: string; startTime: number; endTime: number }[]): void {
  const slowest = files
    .map((file) => ({
      name: relative(process.cwd(), file.name),
      seconds: (file.endTime - file.startTime) / 1000,
    }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 12);
  console.log("\nslowest test files:");
  for (const file of slowest) console.log(`${file.seconds.toFixed(1).padStart(8)} s  ${file.name}`);
}

let failedSteps = 0;
failedSteps += run("tsc", ["-p", "tsconfig.json", "--noEmit"]) === 0 ? 0 : 1;
failedSteps += run("biome", ["check", "."]) === 0 ? 0 : 1;
// What users install is the build; the install test (installed-packages.test.ts) packs it.
failedSteps += run("npm", ["run", "build"]) === 0 ? 0 : 1;

const reportDir = mkdtempSync(join(tmpdir(), "tempel-test-"));
const reportFile = join(reportDir, "vitest.json");
const vitestStatus = run("vitest", [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${reportFile}`,
]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { name: string; startTime: number; endTime: number }[];
  };
  printSlowestFiles(report.testResults);
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
} catch {
  failed += 1;
}
rmSync(reportDir, { recursive: true, force: true });
if (vitestStatus !== 0 && failed === 0) failed = 1;
failed += failedSteps;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && vitestStatus === 0 ? 0 : 1);
