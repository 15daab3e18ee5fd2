import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { PkiError } from "./pki-error.ts";

/** Certificates are small; anything larger is not one we will parse. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Bounds on the BER parser, so a hostile certificate cannot make it recurse or allocate without end. */
export const BER_LIMITS = { maxDepth: 32, maxNodes: 10_000 } as const;

export interface SubjectAttribute {
  /** Attribute type OID, e.g. 2.5.4.3 (common name) or 1.2.840.113549.1.9.1 (e-mail address). */
  readonly type: string;
  readonly value: string;
}

/** An X.509 certificate with the facts verification reads. */
export interface X509Certificate {
  readonly der: Uint8Array;
  /** Validity bounds in Unix seconds, both inclusive. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: readonly SubjectAttribute[];
  readonly parsed: pkijs.Certificate;
}

function unixSeconds(time: pkijs.Time): number {
  return Math.floor(time.value.getTime() / 1000);
}

/** The string form of an attribute value; attributes that are not strings are left out. */
function attributeText(value: unknown): string | undefined {
  return value instanceof asn1js.BaseStringBlock ? value.getValue() : undefined;
}

export function subjectAttributes(certificate: pkijs.Certificate): SubjectAttribute[] {
  const out: SubjectAttribute[] = [];
  for (const attribute of certificate.subject.typesAndValues) {
    const value = attributeText(attribute.value);
    if (value !== undefined) out.push({ type: attribute.type, value });
  }
  return out;
}

/** Parse one DER certificate; throws PkiError when the bytes are not exactly one certificate. */
export function parseCertificate(der: Uint8Array): X509Certificate {
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new PkiError(
      "CERTIFICATE_TOO_LARGE",
      `certificate of ${der.length} bytes exceeds ${MAX_CERTIFICATE_BYTES}`,
    );
  }
  let parsed: pkijs.Certificate;
  try {
    // asn1js throws, rather than failing the parse, on some bad values (a GeneralizedTime's text).
    const asn1 = asn1js.fromBER(der, BER_LIMITS);
    if (asn1.offset === -1 || asn1.offset !== der.length) {
      throw new PkiError("CERTIFICATE_MALFORMED", "the bytes are not one BER-encoded certificate");
    }
    parsed = new pkijs.Certificate({ schema: asn1.result });
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError("CERTIFICATE_MALFORMED", `not an X.509 certificate: ${(error as Error).message}`);
  }
  return {
    der,
    notBefore: unixSeconds(parsed.notBefore),
    notAfter: unixSeconds(parsed.notAfter),
    subject: subjectAttributes(parsed),
    parsed,
  };
}
