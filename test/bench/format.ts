/** Number formatting and plain-text tables shared by the bench's reports. */

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fixed(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Dollars with enough digits to tell small figures apart: $1.35, $0.120, $0.0071, $0.00064, $0.0000038. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  const a = Math.abs(n);
  // Two significant digits below a dime, three up to a dollar, cents above.
  const digits = a >= 1 ? 2 : a >= 0.1 ? 3 : Math.ceil(-Math.log10(a)) + 1;
  return `$${fixed(n, Math.min(digits, 12))}`;
}

/** Compact counts: 1,024 or 12 or 12.5 or 0.25 or 1.5. */
export function num(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100 || Number.isInteger(n)) return int(n);
  if (Math.abs(n) >= 10) return fixed(n, 1);
  if (Math.abs(n) >= 0.01) return String(round(n, 2));
  return n.toPrecision(2);
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  // First column left-aligned (labels), the rest right-aligned (numbers).
  return all.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd(),
  );
}

export function counts(byCommand: Record<string, number>): string {
  const entries = Object.entries(byCommand).filter(([, n]) => n > 0);
  if (entries.length === 0) return 'none';
  return entries.map(([command, n]) => `${shortName(command)} ${int(n)}`).join(', ');
}

export function shortName(command: string): string {
  return command.replace(/Command$/, '');
}
