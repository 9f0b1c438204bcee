/**
 * How a record's bytes are shown: records are fetched base64-encoded, so the console sees
 * the exact bytes and decides here. Valid UTF-8 is text, and text that parses as JSON is
 * pretty-printed; anything else is binary, shown as hex or base64 as the user chose.
 */

export type BinaryView = 'hex' | 'base64';

/** A value as shown: its kind (for a label and styling) and its text. */
export interface Shown {
  readonly kind: 'json' | 'text' | 'hex' | 'base64' | 'null';
  readonly text: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function fromBase64(encoded: string): Uint8Array {
  const binary = atob(encoded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Text when the bytes are UTF-8 without control characters (other than whitespace), else undefined. */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** A base64-encoded key or value (null: a missing key or a tombstone) as shown. */
export function show(encoded: string | null, binary: BinaryView): Shown {
  if (encoded === null) return { kind: 'null', text: 'null' };
  const bytes = fromBase64(encoded);
  const text = asText(bytes);
  if (text === undefined) return binary === 'hex' ? { kind: 'hex', text: hex(bytes) } : { kind: 'base64', text: encoded };
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // not JSON after all: plain text
    }
  }
  return { kind: 'text', text };
}

/** A timestamp (ms) as an ISO string in UTC, which sorts and reads the same everywhere. */
export function timeText(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** `name: value` lines (blank lines skipped); a line without a colon is refused. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`header line ${i + 1} is not 'name: value'`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Where a reset form points: earliest, latest, an offset, a time, or a shift. */
export type ResetChoice = 'earliest' | 'latest' | 'offset' | 'time' | 'shift';

/** A reset target as the API takes it, from the form's choice and value; a bad value is refused with a message. */
export function resetTarget(choice: ResetChoice, value: string): 'earliest' | 'latest' | { offset: number } | { timestamp: number } | { shiftBy: number } {
  const text = value.trim();
  switch (choice) {
    case 'earliest':
    case 'latest':
      return choice;
    case 'offset': {
      const n = Number(text);
      if (text === '' || !Number.isSafeInteger(n) || n < 0) throw new Error('the offset must be a whole number, 0 or more');
      return { offset: n };
    }
    case 'shift': {
      const n = Number(text);
      if (text === '' || !Number.isSafeInteger(n) || n === 0) throw new Error('the shift must be a whole number other than 0 (negative: back)');
      return { shiftBy: n };
    }
    case 'time':
      return { timestamp: parseTime(text) };
  }
}

/** Milliseconds since the epoch, or an ISO 8601 time (UTC unless it says otherwise), as ms; anything else is refused with a message. */
export function parseTime(value: string): number {
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`);
  if (text === '' || !Number.isSafeInteger(ms) || ms < 0) throw new Error("the time must be ISO 8601 ('2024-05-01T12:00:00Z') or milliseconds since 1970");
  return ms;
}

/** Whether a record as shown (its key's and value's text) contains `filter`, ignoring case; an empty filter matches all. */
export function matches(filter: string, key: Shown, value: Shown): boolean {
  const wanted = filter.toLowerCase();
  return wanted === '' || key.text.toLowerCase().includes(wanted) || value.text.toLowerCase().includes(wanted);
}

/** A high watermark total at a time: what the throughput chart samples. */
export interface Sample {
  readonly at: number;
  readonly total: number;
}

/** Records in per second between consecutive samples (at the later one's time); a drop (deleted, recreated) counts as 0. */
export function rates(samples: readonly Sample[]): Sample[] {
  const out: Sample[] = [];
  for (let i = 1; i < samples.length; i++) {
    const seconds = (samples[i]!.at - samples[i - 1]!.at) / 1000;
    if (seconds <= 0) continue;
    out.push({ at: samples[i]!.at, total: Math.max(0, samples[i]!.total - samples[i - 1]!.total) / seconds });
  }
  return out;
}

/** A rate for people: `12.5/s`, `0/s`, `1,204/s`. */
export function rateText(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : Number(perSecond.toFixed(1)).toString()}/s`;
}
