/**
 * Runs in every test worker before its tests. The nodes, scripts and CLI the tests start read their
 * settings from TEMPEL_* variables too: a developer's shell that sets some (an endpoint, a data
 * folder, a port) would change what the tests run against, so none reaches them.
 */
for (const name of Object.keys(process.env)) {
  if (name.startsWith("TEMPEL_")) delete process.env[name];
}

/**
 * The nodes, CLI and scripts that tests start as processes run the packages' sources as the tests do
 * (the export condition of docs/conventions.md, "Build"), whether vitest was started through npm,
 * whose .npmrc sets it too, or not.
 */
const SOURCE_FLAG = "--conditions=tempel-source";
const nodeOptions = process.env.NODE_OPTIONS ?? "";
if (!nodeOptions.split(/\s+/).includes(SOURCE_FLAG)) {
  process.env.NODE_OPTIONS = `${nodeOptions} ${SOURCE_FLAG}`.trim();
}
