import {
  contextTag,
  der,
  derOctetString,
  derSequence,
  encodeTstInfo,
  parseTimeStampRequest,
  readChildren,
  readSingle,
  rejectionResponse,
  TEMPEL_TSA_POLICY,
  TokenWriter,
  toHex,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { encodeRequest, randomImprints } from "../../../../scripts/common/load/protocols.ts";
import { ResponseBuffers } from "../../../../scripts/common/load/response-buffers.ts";
import { checkReplyCheaply, TimeStampQueries } from "../../../../scripts/common/load/time-stamp-queries.ts";
import { placeholderSigner } from "../../../proto/test/unit/rfc3161-fixtures.ts";

/** A granted TimeStampResp for the query's imprint with `nonce` (its own, another query's or none). */
function grantedFor(request: ReturnType<typeof parseTimeStampRequest>, nonce: Uint8Array | undefined) {
  const signer = placeholderSigner();
  const tstInfo = encodeTstInfo({
    policy: TEMPEL_TSA_POLICY,
    messageImprint: request.messageImprint,
    serialNumber: 1n,
    genTime: 1_800_000_000,
    nonce,
  });
  return new TokenWriter(signer, new Uint8Array(32))
    .prepare(tstInfo, false)
    .response(Uint8Array.of(1), Uint8Array.of(8));
}

describe("load generator parts", () => {
  it("writes a JSON sign request byte for byte as JSON.stringify would", () => {
    const agency = { loginId: "demo", key: "secret" };
    for (const count of [1, 2, 1000]) {
      const { imprints } = randomImprints(count);
      const { body } = encodeRequest({ protocol: "json", agency }, imprints, 1n);
      expect(new TextDecoder().decode(body)).toBe(JSON.stringify({ hashes: imprints.map(toHex) }));
    }
  });

  it("hands a returned response buffer out again for an answer that fits in it", () => {
    const buffers = new ResponseBuffers();
    const first = buffers.take(1000);
    expect(first.length).toBe(1000);
    buffers.give(first.buffer);
    const smaller = buffers.take(600);
    expect(smaller.buffer).toBe(first.buffer);
    expect(smaller.length).toBe(600);
    const larger = buffers.take(2000);
    expect(larger.buffer).not.toBe(first.buffer);
    expect(larger.byteOffset).toBe(0);
  });

  it("makes openssl-shaped queries from one template, each with its own digest and nonce, and checks answers against them", () => {
    const queries = new TimeStampQueries(new URL("http://127.0.0.1:3131/tsa"));
    const [a, b] = [queries.next(), queries.next()];
    const text = a.bytes.toString("latin1");
    expect(text).toMatch(/^POST \/tsa HTTP\/1\.1\r\nhost: 127\.0\.0\.1:3131\r\n/);
    const body = a.bytes.subarray(text.indexOf("\r\n\r\n") + 4);
    expect(text).toContain(`content-length: ${body.length}\r\n`);
    const request = parseTimeStampRequest(body, TEMPEL_TSA_POLICY);
    expect(toHex(request.ksiImprint.subarray(1))).toBe(toHex(a.digest));
    expect(toHex(request.nonce!)).toBe(toHex(a.nonce));
    expect(request.certReq).toBe(false);
    expect(toHex(a.digest)).not.toBe(toHex(b.digest));
    expect(toHex(a.nonce)).not.toBe(toHex(b.nonce));

    expect(checkReplyCheaply(grantedFor(request, a.nonce), a)).toEqual({
      outcome: "ok",
      genTime: 1_800_000_000,
    });
    // A token for another query: another digest, or a replayed one with another nonce.
    expect(checkReplyCheaply(grantedFor(request, a.nonce), b).outcome).toBe("tsa_wrong_input");
    expect(checkReplyCheaply(grantedFor(request, b.nonce), a).outcome).toBe("tsa_wrong_nonce");
    expect(checkReplyCheaply(grantedFor(request, undefined), a).outcome).toBe("tsa_wrong_nonce");
    expect(checkReplyCheaply(rejectionResponse("badAlg", "no"), a).outcome).toBe("tsa_status_2");

    // CMS is BER: pkijs wraps the TSTInfo in a constructed OCTET STRING of segments.
    const [status, token] = readChildren(readSingle(grantedFor(request, a.nonce)));
    const [contentType, content] = readChildren(token!);
    const fields = readChildren(readSingle(content!.value));
    const [eContentType, eContent] = readChildren(fields[2]!);
    const tstInfo = readSingle(eContent!.value).value;
    const split = der(0x24, derOctetString(tstInfo.subarray(0, 10)), derOctetString(tstInfo.subarray(10)));
    const encapsulated = derSequence(eContentType!.der, der(contextTag(0), split));
    const rest = fields.slice(3).map((field) => field.der);
    const signedData = derSequence(fields[0]!.der, fields[1]!.der, encapsulated, ...rest);
    const berToken = derSequence(contentType!.der, der(contextTag(0), signedData));
    expect(checkReplyCheaply(derSequence(status!.der, berToken), a).outcome).toBe("ok");
    expect(checkReplyCheaply(grantedFor(request, a.nonce).subarray(0, 60), a).outcome).toBe("bad_response");
  });
});
