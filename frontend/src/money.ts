// Money is an integer number of kopecks everywhere. Parsing and formatting work on strings and
// bigints only: no floating point ever touches an amount.

export const MIN_AMOUNT = 1n;
export const MAX_AMOUNT = 1_000_000_000_000n;

/** U+202F NARROW NO-BREAK SPACE: groups thousands, as in "5 000.00". */
export const GROUP_SEP = '\u202f';
/** U+00A0 NO-BREAK SPACE: between the number and the currency sign. */
export const CURRENCY_SEP = '\u00a0';

export type ParseResult = { ok: true; kopecks: bigint } | { ok: false; error: string };

// Any kind of space a user may type or paste, plus apostrophes and underscores used as group separators.
const GROUPING = /[\s\u00a0\u2000-\u200b\u202f\u205f\u3000'’_]/gu;

/**
 * Parses what a user typed as rubles: "5 000,00", "5000.00", "5000", "0.5", "12,3 ₽".
 * Spaces of any kind group digits; "." or "," (one of them, once) separates at most two decimals.
 */
export function parseRubles(input: string, opts: { min?: bigint; max?: bigint } = {}): ParseResult {
  const min = opts.min ?? MIN_AMOUNT;
  const max = opts.max ?? MAX_AMOUNT;
  let s = input.trim().replace(/(₽|руб\.?|rub|р\.)$/iu, '').replace(GROUPING, '');
  if (s === '') return { ok: false, error: 'Enter an amount' };
  if (s.startsWith('-')) return { ok: false, error: 'The amount must be positive' };
  if (s.startsWith('+')) s = s.slice(1);
  const m = /^(\d*)(?:[.,](\d*))?$/.exec(s);
  if (!m) {
    const seps = s.match(/[.,]/g)?.length ?? 0;
    if (seps > 1 && /^[\d.,]+$/.test(s)) return { ok: false, error: 'Use one decimal separator: 5 000.00 or 5 000,00' };
    return { ok: false, error: 'Enter a number, e.g. 5 000.00' };
  }
  const whole = m[1] ?? '';
  const frac = m[2] ?? '';
  if (whole === '' && frac === '') return { ok: false, error: 'Enter a number, e.g. 5 000.00' };
  if (frac.length > 2) return { ok: false, error: 'At most two digits after the decimal point (kopecks)' };
  if (whole.length > 16) return { ok: false, error: `The amount must be at most ${formatRubles(max)}` };
  const kopecks = BigInt(whole || '0') * 100n + BigInt((frac + '00').slice(0, 2));
  if (kopecks < min) return { ok: false, error: `The amount must be at least ${formatRubles(min)}` };
  if (kopecks > max) return { ok: false, error: `The amount must be at most ${formatRubles(max)}` };
  return { ok: true, kopecks };
}

function toBigInt(v: bigint | number | string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer number of kopecks: ${v}`);
    return BigInt(v);
  }
  if (!/^-?\d+$/.test(v)) throw new RangeError(`not an integer number of kopecks: ${v}`);
  return BigInt(v);
}

function group(digits: string, sep: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += sep;
    out += digits[i];
  }
  return out;
}

/** Formats kopecks as a plain number for an input field: 500000 → "5 000.00". */
export function formatAmount(kopecks: bigint | number | string, opts: { sign?: boolean } = {}): string {
  const k = toBigInt(kopecks);
  const neg = k < 0n;
  const abs = neg ? -k : k;
  const rub = (abs / 100n).toString();
  const kop = (abs % 100n).toString().padStart(2, '0');
  const sign = neg ? '\u2212' : opts.sign && k > 0n ? '+' : '';
  return `${sign}${group(rub, GROUP_SEP)}.${kop}`;
}

/** Formats kopecks as rubles: 500000 → "5 000.00 ₽" (narrow no-break spaces). */
export function formatRubles(kopecks: bigint | number | string, opts: { sign?: boolean } = {}): string {
  return `${formatAmount(kopecks, opts)}${CURRENCY_SEP}₽`;
}

/** The exact value of an amount read from the API (a number, or a bigint beyond 2^53: see json.ts). */
export function toKopecks(v: bigint | number | string): bigint {
  return toBigInt(v);
}

/** The number to send in JSON. Safe: amounts sent are at most 10^12, far below 2^53 (balances are only read). */
export function toJsonAmount(kopecks: bigint): number {
  if (kopecks > BigInt(Number.MAX_SAFE_INTEGER) || kopecks < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError('amount out of range');
  }
  return Number(kopecks);
}

/** A random order amount between 100.00 and 3 000.00 ₽ in whole tens of kopecks, for the prefilled form. */
export function randomOrderAmount(rand: () => number = Math.random): bigint {
  const steps = Math.floor(rand() * 29_001); // 0..29000 → 100.00..3000.00 in 0.10 steps
  return 10_000n + BigInt(steps) * 10n;
}
