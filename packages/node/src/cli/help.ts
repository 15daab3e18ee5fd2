import { describeType, envName, flagName, SETTINGS } from "../config/index.ts";

export const MAIN_HELP = `tempel-node: a Tempel timestamping node (KSI-compatible aggregator, extender and calendar)

Usage:
  tempel-node init --data DIR [options]     create a data folder: keys, certificate, one-member genesis, config
  tempel-node start --config FILE [settings] run the node until SIGINT or SIGTERM
  tempel-node genesis --member DIR_OR_FILE... --out FILE
                                           one cluster's genesis from its members' init outputs
  tempel-node check --config FILE [--from SECOND]
                                           recompute the whole stored calendar (node stopped)
  tempel-node publications-ca init --out DIR --email ADDRESS --cluster ID
                                           create the cluster's publications CA and signing key
  tempel-node tsa init-ca|issue|csr ...    the RFC 3161 TSA's CA, key and certificate (docs/rfc3161.md)
  tempel-node <command> --help             options of one command
  tempel-node --version                    the version of tempel-node (@tempel/node)

Exit codes: 0 success, 1 failure (store corrupt, port taken, ...), 2 usage or configuration error.
`;

export const INIT_HELP = `Usage: tempel-node init --data DIR [options]

Creates DIR with the node's Ed25519 identity (node-key.pb), an RSA-2048 key and self-signed
certificate for KSI calendar authentication records (calendar-key.pem, calendar-cert.pem), a
one-member genesis (genesis.json), a config file with an example agency (config.json), and the
RFC 3161 TSA: a TSA CA (tsa-ca/, move its key offline) and the node's TSA key and certificate
(tsa-key.pem, tsa-cert.pem, tsa-chain.pem).
The genesis publishes daily at 00:00 UTC and names no publications authority: for a cluster,
\`tempel-node genesis\` sets both. Existing files are never overwritten.

Options:
  --data DIR          the data folder (required)
  --api-host HOST     HTTP bind address written to the config (default 127.0.0.1)
  --api-port PORT     HTTP port written to the config (default 3131)
  --api-url URL       how clients reach the API, written to the genesis (default http://HOST:PORT)
  --p2p MULTIADDR     libp2p address of this member, repeatable (default /ip4/127.0.0.1/tcp/4131)
  --tsa-key-type T    the TSA key: ec-p256 (default), rsa-2048 or rsa-3072
`;

export const PUBLICATIONS_CA_USAGE =
  "tempel-node publications-ca init --out DIR --email ADDRESS --cluster ID [--interval SECONDS | --day-of-month D]\n";

export const CHECK_HELP = `Usage: tempel-node check --config FILE [--from SECOND]

Recomputes every stored calendar subtree root from its children, checks that no record is missing
or lies beyond the head, and that the latest quorum certificates cover the calendar's roots; then
checks every stored publication against the calendar and its quorum certificate, and the
publications file's signature against the genesis authority. Run it while the node is stopped. Exit code 0: sound; 1: problems found (listed).

Options:
  --config FILE       the node's config file (required)
  --from SECOND       first second to check (default: the genesis)
`;

/** `start` help: every setting with its flag, variable and type, generated from the settings table. */
export function startHelp(): string {
  const lines = SETTINGS.map(
    (s) => `  --${flagName(s)} VALUE\n      ${s.help}; ${describeType(s.type)}; env ${envName(s)}`,
  );
  return `Usage: tempel-node start --config FILE [settings]

Runs the node: HTTP API (KSI aggregator /ksi/aggregator, extender /ksi/extender, JSON API /v1/,
/metrics, /healthz, /readyz), one-second rounds and the cluster agreement. Stops gracefully on
SIGINT or SIGTERM. Settings come from flags, then TEMPEL_* environment variables, then the config
file, then defaults. Agencies (login ids and HMAC keys) are set in the config file only.

With --role gateway --upstream URL[,URL…] it runs a gateway or aggregator tier instead: no
consensus, calendar or libp2p; the KSI aggregator endpoint only, whose clients' hashes are put into
one tree every gateway.roundMs (closing gateway.roundLeadMs before each multiple of it on the wall
clock, so that a second's last round reaches the core within that second) and the tree's root signed
upstream over KSI PDU v2 under gateway.upstreamLoginId and gateway.upstreamKey (docs/scale.md).

Settings:
  --config FILE
      the node's config file (created by \`tempel-node init\`)
  --upstream URL[,URL…]
      the same as --gateway-upstream
${lines.join("\n")}
`;
}
