/**
 * Runs in every test worker before its tests. The nodes, scripts and CLI the tests start read their
 * settings from TEMPEL_* variables too: a developer's shell that sets some (an endpoint, a data
 * folder, a port) would change what the tests run against, so none reaches them.
 */
for (const name of Object.keys(process.env)) {
  if (name.startsWith("TEMPEL_")) delete process.env[name];
}
