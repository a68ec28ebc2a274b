/**
 * Python 3's `urllib.parse.quote` and `unquote_plus`, exactly: jdcloud-sdk-python builds its
 * canonical requests with them, so a verifier has to reproduce their edge cases (which characters
 * stay, how a broken escape or invalid UTF-8 decodes) to compute the same bytes.
 */

/** Characters `quote` never escapes (Python 3.7+: letters, digits and `_.-~`). */
const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

/**
 * `urllib.parse.quote(s, safe)`: UTF-8 bytes, every byte outside the always-safe set and `safe` as
 * `%XX` with upper-case hex. Throws on a lone surrogate, as Python's strict UTF-8 encoder does.
 */
export function pyQuote(s: string, safe = '/'): string {
  encodeURIComponent(s); // throws URIError on a lone surrogate
  let out = '';
  for (const ch of s) {
    if (ch.length === 1 && ch.charCodeAt(0) < 0x80 && (ALWAYS_SAFE.test(ch) || safe.includes(ch))) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

/** `unquote_to_bytes` of an ASCII run: valid `%XX` become bytes, a stray `%` stays. */
function percentBytes(run: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < run.length; i++) {
    if (run[i] === '%' && isHex(run[i + 1]) && isHex(run[i + 2])) {
      out.push(parseInt(run.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(run.charCodeAt(i));
  }
  return Buffer.from(out);
}

/**
 * `urllib.parse.unquote_plus(s)`: `+` is a space, then `unquote` with UTF-8 and errors='replace'.
 * Python decodes each run of ASCII characters on its own and keeps non-ASCII characters as they are;
 * invalid UTF-8 in a run becomes U+FFFD (Node's decoder replaces the same maximal subparts).
 */
export function pyUnquotePlus(s: string): string {
  const text = s.replace(/\+/g, ' ');
  if (!text.includes('%')) return text;
  return text.replace(/[\x00-\x7f]+/g, (run) => (run.includes('%') ? percentBytes(run).toString('utf8') : run));
}

/** Python's ordering of lists of strings (`sorted()`): element by element, a prefix first. */
export function pyCompareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
