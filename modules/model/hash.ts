/** FNV-1a 32-bit of a string's UTF-16 code units: a stable, platform-independent hash for derived ids (not cryptographic). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
