/**
 * Whether `text` is an absolute http: or https: URL. Not `URL.parse`: Node 20 before 20.18 and
 * browsers before 2024 lack it, and the SDK supports them.
 */
export function isHttpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return url.protocol === "http:" || url.protocol === "https:";
}
