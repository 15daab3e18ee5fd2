#!/usr/bin/env node
import { setDefaultHasher } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { run } from "./run.ts";

setDefaultHasher(nodeHasher);
process.exitCode = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
