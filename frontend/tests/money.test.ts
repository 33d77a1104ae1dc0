import { describe, expect, it } from 'vitest';
import { formatAmount, formatRubles, parseRubles, randomOrderAmount, toJsonAmount } from '../src/money';

const k = (s: string) => {
  const r = parseRubles(s);
  if (!r.ok) throw new Error(`${s}: ${r.error}`);
  return r.kopecks;
};
const err = (s: string) => {
  const r = parseRubles(s);
  if (r.ok) throw new Error(`${s} parsed as ${r.kopecks}`);
  return r.error;
};

describe('parseRubles', () => {
  it('parses the usual spellings exactly', () => {
    expect(k('5 000,00')).toBe(500000n);
    expect(k('5000.00')).toBe(500000n);
    expect(k('5000')).toBe(500000n);
    expect(k('5\u202f000.00\u00a0₽')).toBe(500000n);
    expect(k('  12,3 ₽ ')).toBe(1230n);
    expect(k('0.01')).toBe(1n);
    expect(k('.5')).toBe(50n);
    expect(k('7.')).toBe(700n);
    expect(k('1 234 567,89')).toBe(123456789n);
    expect(k("1'000")).toBe(100000n);
    expect(k('+10')).toBe(1000n);
  });

  it('has no floating point error', () => {
    expect(k('0.29')).toBe(29n); // 0.29 * 100 = 28.999999999999996 in floats
    expect(k('1.15')).toBe(115n);
    expect(k('4.35')).toBe(435n);
    expect(k('9999999999.99')).toBe(999999999999n);
  });

  it('accepts the API limits and nothing outside them', () => {
    expect(k('10 000 000 000')).toBe(1_000_000_000_000n);
    expect(err('10 000 000 000.01')).toMatch(/at most/);
    expect(err('99999999999999999999')).toMatch(/at most/);
    expect(err('0')).toMatch(/at least/);
    expect(err('0,00')).toMatch(/at least/);
  });

  it('rejects what is not an amount', () => {
    expect(err('')).toMatch(/Enter an amount/);
    expect(err('   ')).toMatch(/Enter an amount/);
    expect(err('abc')).toMatch(/number/);
    expect(err('1e3')).toMatch(/number/);
    expect(err('-5')).toMatch(/positive/);
    expect(err('1.234')).toMatch(/two digits/);
    expect(err('1,000.00')).toMatch(/one decimal separator/);
    expect(err('.')).toMatch(/number/);
    expect(err('12..3')).toMatch(/one decimal separator/);
  });

  it('honours custom limits', () => {
    const r = parseRubles('1', { min: 1000n });
    expect(r.ok).toBe(false);
  });
});

describe('formatRubles', () => {
  it('groups thousands with narrow no-break spaces and shows two decimals', () => {
    expect(formatRubles(500000)).toBe('5\u202f000.00\u00a0₽');
    expect(formatRubles(0)).toBe('0.00\u00a0₽');
    expect(formatRubles(1)).toBe('0.01\u00a0₽');
    expect(formatRubles(99)).toBe('0.99\u00a0₽');
    expect(formatRubles(12345)).toBe('123.45\u00a0₽');
    expect(formatRubles(123456789)).toBe('1\u202f234\u202f567.89\u00a0₽');
    expect(formatRubles(1_000_000_000_000n)).toBe('10\u202f000\u202f000\u202f000.00\u00a0₽');
    expect(formatRubles('100000')).toBe('1\u202f000.00\u00a0₽');
  });

  it('shows signs', () => {
    expect(formatRubles(-12345)).toBe('\u2212123.45\u00a0₽');
    expect(formatRubles(12345, { sign: true })).toBe('+123.45\u00a0₽');
    expect(formatRubles(0, { sign: true })).toBe('0.00\u00a0₽');
  });

  it('refuses non-integers', () => {
    expect(() => formatRubles(1.5)).toThrow(RangeError);
    expect(() => formatRubles('12.5')).toThrow(RangeError);
  });

  it('round-trips through parse', () => {
    for (const v of [1n, 99n, 100n, 123456n, 500000n, 999999999999n, 1_000_000_000_000n]) {
      expect(k(formatAmount(v))).toBe(v);
      expect(k(formatRubles(v))).toBe(v);
    }
  });
});

describe('helpers', () => {
  it('randomOrderAmount stays within 100.00..3 000.00 ₽', () => {
    expect(randomOrderAmount(() => 0)).toBe(10000n);
    expect(randomOrderAmount(() => 0.999999)).toBe(300000n);
    for (let i = 0; i < 100; i++) {
      const v = randomOrderAmount();
      expect(v >= 10000n && v <= 300000n).toBe(true);
    }
  });
  it('toJsonAmount converts safely', () => {
    expect(toJsonAmount(1_000_000_000_000n)).toBe(1e12);
    expect(() => toJsonAmount(2n ** 60n)).toThrow(RangeError);
  });
});
