import type {
  AggregationLinkJson,
  PublicationDataJson,
  QuorumCertificateJson,
  SignatureJson,
  TimeJson,
} from "@tempel/proto";

/** `tempel inspect`'s text view: the signature's parts from the document up, one fact per line. */

function time(value: TimeJson): string {
  return value.iso === undefined ? `${value.unix}` : `${value.iso.replace(".000Z", "Z")} (${value.unix})`;
}

function published(data: PublicationDataJson): string[] {
  return [
    `time:   ${time(data.publicationTime)}`,
    `hash:   ${data.publishedHash}`,
    ...(data.publicationString === undefined ? [] : [`code:   ${data.publicationString}`]),
  ];
}

function link(value: AggregationLinkJson): string {
  const head = `${value.direction.padEnd(5)} +${value.levelCorrection}`;
  const sibling = value.sibling;
  switch (sibling.kind) {
    case "imprint":
      return `${head} ${sibling.imprint}`;
    case "legacyId":
      return `${head} legacy id "${sibling.name}"`;
    case "metadata": {
      const m = sibling.metadata;
      const parts = [`client "${m.clientId}"`];
      if (m.machineId !== undefined) parts.push(`machine "${m.machineId}"`);
      if (m.sequenceNumber !== undefined) parts.push(`sequence ${m.sequenceNumber}`);
      if (m.requestTime?.iso !== undefined) parts.push(`requested ${m.requestTime.iso}`);
      return `${head} metadata: ${parts.join(", ")}`;
    }
  }
}

function quorum(certificate: QuorumCertificateJson): string[] {
  return [
    ...published(certificate.publishedData),
    `shares: ${certificate.shares.length}`,
    ...certificate.shares.map((share) => `  ${share.memberId}`),
  ];
}

function indent(lines: readonly string[], by = "  "): string[] {
  return lines.map((line) => `${by}${line}`);
}

export function renderSignature(json: SignatureJson): string {
  const clients = json.aggregationChains.flatMap((chain) =>
    chain.links.flatMap(({ sibling }) => {
      if (sibling.kind !== "metadata") return [];
      const { clientId, machineId } = sibling.metadata;
      return [machineId === undefined ? clientId : `${clientId} (${machineId})`];
    }),
  );
  const lines = [
    `signed hash:  ${json.inputHash}`,
    `signed at:    ${time(json.aggregationTime)}`,
    ...(clients.length === 0 ? [] : [`requested by: ${clients.join(" ← ")}`]),
    `aggregation chains: ${json.aggregationChains.length}`,
  ];
  json.aggregationChains.forEach((chain, i) => {
    lines.push(`  chain ${i + 1}: index [${chain.chainIndex.join(", ")}], ${chain.aggregationAlgorithm}`);
    lines.push(`    input: ${chain.inputHash}`);
    lines.push(...indent(chain.links.map(link), "    "));
  });
  if (json.calendarChain !== undefined) {
    const chain = json.calendarChain;
    lines.push(`calendar chain: ${chain.links.length} links`);
    lines.push(`  aggregation time: ${time(chain.aggregationTime)}`);
    lines.push(`  publication time: ${time(chain.publicationTime)}`);
    lines.push(`  input: ${chain.inputHash}`);
    lines.push(
      ...indent(
        chain.links.map((l) => `${l.direction.padEnd(5)} ${l.sibling}`),
        "    ",
      ),
    );
  }
  if (json.calendarAuthRecord !== undefined) {
    const record = json.calendarAuthRecord;
    lines.push("calendar authentication record:");
    lines.push(...indent(published(record.publishedData)));
    lines.push(`  signed with ${record.signatureType} by certificate ${record.certificateId}`);
    if (record.certificateRepositoryUri !== undefined)
      lines.push(`  certificates: ${record.certificateRepositoryUri}`);
  }
  if (json.publicationRecord !== undefined) {
    const record = json.publicationRecord;
    lines.push("publication record:");
    lines.push(...indent(published(record.publishedData)));
    lines.push(...indent(record.references.map((reference) => `reference: ${reference}`)));
    lines.push(...indent(record.repositoryUris.map((uri) => `repository: ${uri}`)));
    if (record.quorumCertificate !== undefined) {
      lines.push("  quorum certificate:", ...indent(quorum(record.quorumCertificate), "    "));
    }
  }
  if (json.rfc3161Record !== undefined) {
    const record = json.rfc3161Record;
    lines.push("RFC 3161 record:");
    lines.push(`  input: ${record.inputHash}`);
    lines.push(
      `  TSTInfo hash: ${record.tstInfoAlgorithm}, signed attributes hash: ${record.signedAttributesAlgorithm}`,
    );
  }
  if (json.quorumCertificate !== undefined) {
    lines.push("quorum certificate:", ...indent(quorum(json.quorumCertificate)));
  }
  return `${lines.join("\n")}\n`;
}
