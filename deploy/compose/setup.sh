#!/bin/sh
# One-shot setup of the compose cluster (deploy/compose.yaml): a data folder per member made by
# `tempel-node init`, one genesis over them, and the first member's agency accepted by all three.
# Does nothing that is already done, so the cluster keeps its calendar across `docker compose up`.
# Outside a container: TEMPEL_NODE="node packages/node/src/cli/main.ts" DATA=/tmp/x sh deploy/compose/setup.sh
set -eu
TEMPEL_NODE=${TEMPEL_NODE:-tempel-node}
DATA=${DATA:-/var/lib/tempel}

for n in 1 2 3; do
  if [ ! -e "$DATA/node$n/config.json" ]; then
    $TEMPEL_NODE init --data "$DATA/node$n" --api-host 0.0.0.0 --api-port 3131 \
      --api-url "http://node$n:3131" --p2p "/dns4/node$n/tcp/4131"
  fi
done

if [ ! -e "$DATA/genesis.json" ]; then
  $TEMPEL_NODE genesis --member "$DATA/node1" --member "$DATA/node2" --member "$DATA/node3" \
    --out "$DATA/genesis.json"
  # Every member must know the agencies: the first member's (from its init) goes to the others.
  node -e '
    const fs = require("node:fs");
    const [first, ...others] = process.argv.slice(1);
    const { agencies } = JSON.parse(fs.readFileSync(first, "utf8"));
    for (const file of others) {
      const config = JSON.parse(fs.readFileSync(file, "utf8"));
      fs.writeFileSync(file, JSON.stringify({ ...config, agencies }, null, 2) + "\n");
    }
    console.log("agency " + agencies[0].loginId + ", key " + agencies[0].key + " (in " + first + ")");
  ' "$DATA/node1/config.json" "$DATA/node2/config.json" "$DATA/node3/config.json"
fi
