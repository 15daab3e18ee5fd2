import { decodePublicationsFile, type PublicationsFile } from "../publication/index.ts";
import { type DetachedCmsOptions, verifyDetachedCms } from "./detached-cms.ts";

/**
 * Decode a publications file and check its CMS signature: signed by a certificate that chains to one
 * of `options.trustAnchors` and meets `options.constraints` (KSI constrains the e-mail address, e.g.
 * `{[EMAIL_ADDRESS_OID]: "publications@guardtime.com"}`). Returns the file only if all of it holds;
 * throws FormatError for bad bytes and PkiError for a signature that cannot be trusted.
 */
export async function verifyPublicationsFile(
  bytes: Uint8Array,
  options: DetachedCmsOptions,
): Promise<PublicationsFile> {
  const file = decodePublicationsFile(bytes);
  await verifyDetachedCms(file.signature, file.signedBytes, options);
  return file;
}
