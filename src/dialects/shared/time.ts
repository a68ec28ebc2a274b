/** Tencent's time formats, shared by API 2.0 and 3.0. */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function ymdhms(d: Date, dateTimeSep: string): string {
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `${dateTimeSep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** UTC+8 offset in milliseconds (China has no daylight saving time). */
export const BEIJING_OFFSET_MS = 8 * 3600_000;

/**
 * `YYYY-MM-DD hh:mm:ss` in Beijing time (UTC+8). The docs do not state the time zone of the VPC
 * `CreatedTime`/`AttachTime` fields (spec §9 item 8); UTC+8 is our choice, since it is the likely one.
 * The `creation-*-time` filters of DescribeInstances parse with the same convention.
 */
export function beijingTime(ms: number): string {
  return ymdhms(new Date(ms + BEIJING_OFFSET_MS), ' ');
}

/** `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds): the CVM `CreatedTime` format (spec §6.5). */
export function isoUtc(ms: number): string {
  return `${ymdhms(new Date(ms), 'T')}Z`;
}

