// The code panel's cell in an address: deflate-raw (the browser's CompressionStream) then base64url, so a
// cell of a few kilobytes fits in a link as `code=...`. Plain functions, for web/js/links.js and the panel.

/** `text` compressed, as base64url (no padding): safe in a query string without escaping. */
export async function packCode(text) {
  const stream = new Blob([new TextEncoder().encode(text)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text `packCode` packed; throws on anything that is not such a value (cut short, altered). */
export async function unpackCode(packed) {
  const base64 = packed.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new TextDecoder('utf-8', { fatal: true }).decode(await new Response(stream).arrayBuffer());
}
