import { execFileSync } from "node:child_process";
import { createHash, sign } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  readChildren as children,
  type DerElement as Der,
  derOid,
  readSingle as readOne,
  der as tlv,
} from "../../../src/rfc3161/der.ts";

/**
 * Real RFC 3161 tokens from Debian's `openssl ts -reply`, under a CA made here with `openssl ca`, and
 * the small DER edits tests need on them: another genTime, another certificate, an unsigned
 * attribute, re-signed with the TSA's key as a TSA (or a thief of its key) would.
 */

const POLICY = "2.25.162000868886308349449106160060397384410.1.1";
export const KSI_ATTRIBUTE_OID = "2.25.162000868886308349449106160060397384410.2.1";

function run(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A certificate the test CA issued, and its key. */
export interface IssuedCertificate {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPath: string;
  readonly certPath: string;
}

export interface TestTsa {
  readonly dir: string;
  readonly caPem: string;
  readonly caDer: Uint8Array;
  /** Valid 2010–2099, critical id-kp-timeStamping. */
  readonly tsa: IssuedCertificate;
  /** The same, but expired at the start of 2025. */
  readonly expired: IssuedCertificate;
  /** The TSA's key, its EKU timeStamping not critical. */
  readonly nonCriticalEku: IssuedCertificate;
  /** A TSA certificate from another CA. */
  readonly rogue: IssuedCertificate;
  /** An RSA-2048 TSA certificate (as X-Road asks for), valid 2010–2099. */
  readonly rsa: IssuedCertificate;
  /** A token over `digestHex` (SHA-256 unless said) signed by `signer`, as DER ContentInfo. */
  token(
    digestHex: string,
    signer: IssuedCertificate,
    options?: {
      sha?: "sha256" | "sha384" | "sha512";
      reply?: boolean;
      signerDigest?: "sha1";
      /** Whether the request asks for the certificate in the token (as openssl -cert); default true. */
      certReq?: boolean;
    },
  ): Uint8Array;
  remove(): void;
}

function derOfPem(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

const CA_CONFIG = `[ca]
default_ca = ca1
[ca1]
dir = DIR
database = $dir/NAME.index
new_certs_dir = $dir
serial = $dir/NAME.serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
`;

/**
 * `name`.pem for the key `key`.key (made when missing), with `extensions`, issued by CA `ca` (itself
 * when the same name), valid from `start` to `end` (GeneralizedTime): `openssl ca`, unlike `req`, can
 * date a certificate in the past.
 */
function certify(
  dir: string,
  ca: string,
  name: string,
  key: string,
  extensions: string,
  start: string,
  end: string,
): void {
  const keyPath = join(dir, `${key}.key`);
  if (!existsSync(keyPath)) {
    const algorithm = key.startsWith("rsa")
      ? ["RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
      : ["EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    run(dir, "genpkey", "-algorithm", ...algorithm, "-out", keyPath);
  }
  writeFileSync(join(dir, `${name}.ext`), extensions);
  run(dir, "req", "-new", "-key", keyPath, "-subj", `/CN=${name}`, "-out", `${name}.csr`);
  const issuer = ca === name ? ["-selfsign"] : ["-cert", `${ca}.pem`];
  run(
    dir,
    "ca",
    "-batch",
    ...issuer,
    "-config",
    `${ca}.cnf`,
    "-keyfile",
    `${ca}.key`,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.pem`,
    "-extfile",
    `${name}.ext`,
    "-startdate",
    start,
    "-enddate",
    end,
    "-notext",
  );
}

/** A self-signed CA valid 2000–2099, so tokens dated in the past chain to it. */
function makeCa(dir: string, name: string): void {
  writeFileSync(join(dir, `${name}.cnf`), CA_CONFIG.replace("DIR", dir).replaceAll("NAME", name));
  writeFileSync(join(dir, `${name}.index`), "");
  writeFileSync(join(dir, `${name}.serial`), "1000\n");
  certify(
    dir,
    name,
    name,
    name,
    "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
    "20000101000000Z",
    "20991231000000Z",
  );
}

function issue(
  dir: string,
  ca: string,
  name: string,
  key: string,
  eku: string,
  start: string,
  end: string,
): IssuedCertificate {
  const keyPath = join(dir, `${key}.key`);
  certify(
    dir,
    ca,
    name,
    key,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\n`,
    start,
    end,
  );
  const pem = readFileSync(join(dir, `${name}.pem`), "utf8");
  return { pem, der: derOfPem(pem), keyPath, certPath: join(dir, `${name}.pem`) };
}

export function makeTestTsa(): TestTsa {
  const dir = mkdtempSync(join(tmpdir(), "tempel-tsa-"));
  makeCa(dir, "TsaCA");
  makeCa(dir, "RogueCA");
  const tsa = issue(
    dir,
    "TsaCA",
    "TSA",
    "tsa",
    "critical,timeStamping",
    "20100101000000Z",
    "20991231000000Z",
  );
  const expired = issue(
    dir,
    "TsaCA",
    "TSA-expired",
    "tsa",
    "critical,timeStamping",
    "20100101000000Z",
    "20250101000000Z",
  );
  const nonCriticalEku = issue(
    dir,
    "TsaCA",
    "TSA-noncritical",
    "tsa",
    "timeStamping",
    "20100101000000Z",
    "20991231000000Z",
  );
  const rogue = issue(
    dir,
    "RogueCA",
    "Rogue-TSA",
    "rogue",
    "critical,timeStamping",
    "20100101000000Z",
    "20991231000000Z",
  );
  const rsa = issue(
    dir,
    "TsaCA",
    "TSA-RSA",
    "rsa-tsa",
    "critical,timeStamping",
    "20100101000000Z",
    "20991231000000Z",
  );
  writeFileSync(
    join(dir, "tsa.cnf"),
    `[tsa]\ndefault_tsa = t\n[t]\nserial = ${dir}/tsa.serial\ncrypto_device = builtin\nsigner_digest = sha256\ndefault_policy = ${POLICY}\ndigests = sha1, sha256, sha384, sha512\naccuracy = secs:1\ness_cert_id_alg = sha256\n`,
  );
  writeFileSync(join(dir, "tsa.serial"), "01\n");
  const caPem = readFileSync(join(dir, "TsaCA.pem"), "utf8");
  let n = 0;
  return {
    dir,
    caPem,
    caDer: derOfPem(caPem),
    tsa,
    expired,
    nonCriticalEku,
    rogue,
    rsa,
    token(digestHex, signer, options = {}) {
      const sha = options.sha ?? "sha256";
      const id = n++;
      const certReq = options.certReq === false ? [] : ["-cert"];
      run(
        dir,
        "ts",
        "-query",
        "-digest",
        digestHex,
        `-${sha}`,
        ...certReq,
        "-no_nonce",
        "-out",
        `q${id}.tsq`,
      );
      // openssl refuses to sign with a certificate not fit for time-stamping: a token for the
      // non-critical one is made with the good one and swapped by the caller (withCertificate).
      run(
        dir,
        "ts",
        "-reply",
        "-config",
        "tsa.cnf",
        "-queryfile",
        `q${id}.tsq`,
        "-signer",
        signer.certPath,
        "-inkey",
        signer.keyPath,
        "-out",
        `r${id}.tsr`,
        ...(options.reply === true ? [] : ["-token_out"]),
        ...(options.signerDigest === undefined ? [] : [`-${options.signerDigest}`]),
      );
      return new Uint8Array(readFileSync(join(dir, `r${id}.tsr`)));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// --- DER editing -----------------------------------------------------------------------------

const MESSAGE_DIGEST = "06092a864886f70d010904";
const SIGNING_CERTIFICATE_V2 = "060b2a864886f70d010910022f";

export interface TokenEdit {
  /** New genTime, Unix seconds. */
  readonly genTime?: number;
  /** Replace the token's certificates by this one (sid and signing-certificate follow it). */
  readonly certificate?: Uint8Array;
  /** Name this (another) certificate's hash in the signing-certificate attribute. */
  readonly essCertificate?: Uint8Array;
  /** Re-sign the signed attributes with this PEM key file (after the edits). */
  readonly signWith?: string;
  /** The KSI signature to carry in the unsigned attribute; null removes the attribute. */
  readonly ksiSignature?: Uint8Array | null;
  /** Flip a bit of the CMS signature. */
  readonly breakSignature?: boolean;
}

function generalizedTime(unix: number): Uint8Array {
  const text = new Date(unix * 1000)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return tlv(0x18, new TextEncoder().encode(text));
}

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash("sha256").update(bytes).digest());

/** `token` (DER ContentInfo) with the edits made, re-encoded. */
export function editToken(token: Uint8Array, edit: TokenEdit): Uint8Array {
  const [contentType, wrapper] = children(readOne(token));
  const fields = children(children(wrapper!)[0]!);
  const [version, digestAlgorithms, encap] = fields as [Der, Der, Der];
  const certificates = fields.find((f) => f.tag === 0xa0);
  const signerInfos = fields[fields.length - 1]!;
  const [eContentType, eContentWrapper] = children(encap);
  let tstInfo = readOne(children(eContentWrapper!)[0]!.value).der;
  if (edit.genTime !== undefined) {
    const parts = children(readOne(tstInfo)).map((p) =>
      p.tag === 0x18 ? generalizedTime(edit.genTime!) : p.der,
    );
    tstInfo = tlv(0x30, ...parts);
  }
  const signer = children(children(signerInfos)[0]!);
  const certificate = edit.certificate;
  let sid = signer[1]!.der;
  if (certificate !== undefined) {
    const tbs = children(children(readOne(certificate))[0]!);
    sid = tlv(0x30, tbs[3]!.der, tbs[1]!.der);
  }
  const essHashOf = edit.essCertificate ?? certificate;
  const attributes = children(signer[3]!).map((attribute) => {
    const [type] = children(attribute);
    const typeHex = Buffer.from(type!.der).toString("hex");
    // Without the key, the digest is left as signed, as a forger would have to.
    if (typeHex === MESSAGE_DIGEST && edit.signWith !== undefined)
      return tlv(0x30, type!.der, tlv(0x31, tlv(0x04, sha256(tstInfo))));
    if (typeHex === SIGNING_CERTIFICATE_V2 && essHashOf !== undefined) {
      return tlv(0x30, type!.der, tlv(0x31, tlv(0x30, tlv(0x30, tlv(0x30, tlv(0x04, sha256(essHashOf)))))));
    }
    return attribute.der;
  });
  const signedAttributes = tlv(0xa0, ...attributes);
  let signature = signer[5]!.value;
  if (edit.signWith !== undefined) {
    const toSign = signedAttributes.slice();
    toSign[0] = 0x31;
    signature = new Uint8Array(sign("sha256", toSign, readFileSync(edit.signWith)));
  }
  if (edit.breakSignature === true) {
    signature = signature.slice();
    signature[signature.length - 5]! ^= 0x01;
  }
  let unsigned: Uint8Array | undefined = signer[6]?.der;
  if (edit.ksiSignature === null) unsigned = undefined;
  else if (edit.ksiSignature !== undefined) {
    unsigned = tlv(0xa1, tlv(0x30, derOid(KSI_ATTRIBUTE_OID), tlv(0x31, tlv(0x04, edit.ksiSignature))));
  }
  const signerInfo = tlv(
    0x30,
    signer[0]!.der,
    sid,
    signer[2]!.der,
    signedAttributes,
    signer[4]!.der,
    tlv(0x04, signature),
    ...(unsigned === undefined ? [] : [unsigned]),
  );
  const certs = certificate !== undefined ? tlv(0xa0, certificate) : certificates?.der;
  const signedData = tlv(
    0x30,
    version.der,
    digestAlgorithms.der,
    tlv(0x30, eContentType!.der, tlv(0xa0, tlv(0x04, tstInfo))),
    ...(certs === undefined ? [] : [certs]),
    tlv(0x31, signerInfo),
  );
  return tlv(0x30, contentType!.der, tlv(0xa0, signedData));
}
