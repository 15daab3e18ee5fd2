import { FormatError } from "../errors.ts";
import { parseCertificate } from "../pki/certificate.ts";
import { type DetachedCmsOptions, EMAIL_ADDRESS_OID } from "../pki/detached-cms.ts";
import { PkiError } from "../pki/pki-error.ts";
import {
  DEFAULT_PUBLICATION_SCHEDULE,
  type PublicationSchedule,
  parsePublicationSchedule,
  publicationScheduleToJson,
} from "./publication-schedule.ts";

/**
 * Who may sign a cluster's publications file: a key whose certificate the cluster's publications CA
 * issued with `email` in its subject, as KSI verifiers constrain Guardtime's file to
 * `E=publications@guardtime.com`.
 */
export interface PublicationsAuthority {
  /** DER of the publications CA certificate: the trust anchor of the file's CMS signature. */
  readonly caCertificate: Uint8Array;
  readonly email: string;
}

/** The `publications` object of a genesis file. */
export interface GenesisPublications {
  readonly schedule: PublicationSchedule;
  /** Absent: the cluster has no publications file (its roots can still be published by hand). */
  readonly authority?: PublicationsAuthority;
}

export const DEFAULT_GENESIS_PUBLICATIONS: GenesisPublications = { schedule: DEFAULT_PUBLICATION_SCHEDULE };

const MAX_EMAIL_LENGTH = 254;
const EMAIL = /^[^\s@"<>,;]+@[^\s@"<>,;]+$/;
const PEM = /^-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----\r?\n?$/;

function invalid(problem: string): FormatError {
  return new FormatError("GENESIS_PUBLICATIONS", `genesis publications: ${problem}`);
}

function objectAt(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw invalid(`${what} must be an object`);
  return json as Record<string, unknown>;
}

function onlyKeys(json: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const key of Object.keys(json)) {
    if (!keys.includes(key)) throw invalid(`${what} has an unknown field "${key.slice(0, 64)}"`);
  }
}

/** DER of the one certificate in PEM `text`; anything else (several, a key, garbage) is refused. */
export function certificateFromPem(text: string): Uint8Array {
  const match = PEM.exec(text.trim() + "\n");
  let der: Uint8Array | undefined;
  try {
    der =
      match === null
        ? undefined
        : Uint8Array.from(atob(match[1]!.replace(/[\r\n]/g, "")), (c) => c.charCodeAt(0));
  } catch {
    der = undefined;
  }
  if (der === undefined) throw invalid("authority.certificate must be one PEM certificate");
  return der;
}

/** The PEM text of DER certificate `der` (64-character lines, as OpenSSL writes it). */
export function certificateToPem(der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function parseAuthority(json: unknown): PublicationsAuthority {
  const authority = objectAt(json, "authority");
  onlyKeys(authority, ["certificate", "email"], "authority");
  const { certificate, email } = authority;
  if (typeof email !== "string" || email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
    throw invalid("authority.email must be an e-mail address");
  }
  if (typeof certificate !== "string") throw invalid("authority.certificate must be PEM text");
  const caCertificate = certificateFromPem(certificate);
  try {
    parseCertificate(caCertificate);
  } catch (error) {
    if (error instanceof PkiError) throw invalid(`authority.certificate: ${error.message}`);
    throw error;
  }
  return { caCertificate, email };
}

/**
 * `{"intervalSeconds": n | "dayOfMonth": d, "authority"?: {"certificate": PEM, "email": address}}`,
 * parsed strictly: unknown fields and values out of range are FormatErrors.
 */
export function parseGenesisPublications(json: unknown): GenesisPublications {
  const root = objectAt(json, "publications");
  onlyKeys(root, ["intervalSeconds", "dayOfMonth", "authority"], "publications");
  const schedule = parsePublicationSchedule(root);
  return root.authority === undefined
    ? { schedule }
    : { schedule, authority: parseAuthority(root.authority) };
}

export function genesisPublicationsToJson(publications: GenesisPublications): Record<string, unknown> {
  const { authority } = publications;
  return {
    ...publicationScheduleToJson(publications.schedule),
    ...(authority !== undefined && {
      authority: { certificate: certificateToPem(authority.caCertificate), email: authority.email },
    }),
  };
}

/** What the file's CMS signature is checked against (verifyPublicationsFile's options). */
export function publicationsFileTrust(authority: PublicationsAuthority, at?: Date): DetachedCmsOptions {
  return {
    trustAnchors: [authority.caCertificate],
    constraints: { [EMAIL_ADDRESS_OID]: authority.email },
    ...(at !== undefined && { at }),
  };
}
