/**
 * Resource IDs, MAC addresses and UUIDs from an injectable source of randomness, so tests can make
 * them deterministic (STYLE: "Time and randomness injected").
 *
 * A source does not promise uniqueness: 36^8 ≈ 2.8e12 IDs makes collisions rare, not impossible,
 * so whoever stores an ID (or MAC) must still check it is new and draw again if not.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface IdSource {
  /** `${prefix}-` followed by `length` (default 8) characters of [a-z0-9], e.g. `eni-f1xjkw1b`. */
  id(prefix: string, length?: number): string;
  /** Upper-case hex with colons; `prefix` supplies the leading octets (default Tencent's `20:90:6F`). */
  mac(prefix?: string): string;
  /** RFC 4122 version 4, lower case. */
  uuid(): string;
  /** `length` characters drawn uniformly from `alphabet` (at most 256 characters). */
  text(alphabet: string, length: number): string;
  /** An integer drawn uniformly from [min, max), for a range of at most 2^48. */
  int(min: number, max: number): number;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const DEFAULT_MAC_PREFIX = '20:90:6F';
const MAC_PREFIX = /^([0-9A-Fa-f]{2})(:[0-9A-Fa-f]{2}){0,5}$/;

/** Builds an IdSource from any generator of uniformly random bytes (0..255). */
function idSourceFrom(nextByte: () => number, uuid: () => string): IdSource {
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  const text = (alphabet: string, length: number) => {
    if (alphabet.length === 0 || alphabet.length > 256) throw new Error(`an alphabet of ${alphabet.length} characters`);
    // Bytes at or above the limit are rejected so every character is equally likely.
    const limit = 256 - (256 % alphabet.length);
    let s = '';
    while (s.length < length) {
      const b = nextByte();
      if (b < limit) s += alphabet[b % alphabet.length];
    }
    return s;
  };
  return {
    id: (prefix, length = 8) => `${prefix}-${text(ALPHABET, length)}`,
    text,
    int(min, max) {
      const range = max - min;
      if (!Number.isSafeInteger(range) || range <= 0 || range > 2 ** 48) throw new Error(`a range of ${range}`);
      const limit = 2 ** 48 - (2 ** 48 % range);
      for (;;) {
        let v = 0;
        for (let i = 0; i < 6; i++) v = v * 256 + nextByte();
        if (v < limit) return min + (v % range);
      }
    },
    mac(prefix = DEFAULT_MAC_PREFIX) {
      if (!MAC_PREFIX.test(prefix)) throw new Error(`invalid MAC prefix: ${prefix}`);
      const octets = prefix.toUpperCase().split(':');
      while (octets.length < 6) octets.push(hex(nextByte()));
      return octets.join(':');
    },
    uuid,
  };
}

export function randomIdSource(): IdSource {
  // Draw random bytes in batches: one syscall-backed call per 256 bytes rather than per character.
  let pool = Buffer.alloc(0);
  let pos = 0;
  const nextByte = () => {
    if (pos >= pool.length) {
      pool = randomBytes(256);
      pos = 0;
    }
    return pool[pos++]!;
  };
  return idSourceFrom(nextByte, () => randomUUID());
}

/** mulberry32: tiny, fast and good enough for reproducible test data (not for secrets). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A seeded random number in [0, 1), for reproducible simulations and tests (never for secrets). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** Deterministic: the same seed gives the same sequence of IDs, MACs and UUIDs. */
export function seededIdSource(seed: number): IdSource {
  const next = mulberry32(seed);
  const nextByte = () => next() & 255;
  const uuid = () => {
    const b = Array.from({ length: 16 }, nextByte);
    b[6] = (b[6]! & 0x0f) | 0x40; // version 4
    b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
    const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  return idSourceFrom(nextByte, uuid);
}

/** Exactly `${prefix}-` and `length` (default 8) characters of [a-z0-9] (spec §6.2). */
export function isId(prefix: string, s: string, length = 8): boolean {
  const head = `${prefix}-`;
  if (!s.startsWith(head)) return false;
  const rest = s.slice(head.length);
  return rest.length === length && /^[a-z0-9]*$/.test(rest);
}
