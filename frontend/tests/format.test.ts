import { describe, expect, it } from 'vitest';
import { dateTimeOf, formatInteger, LOCALE, msText, shortId, timeOf } from '../src/format';
import { parseRoute, routePath } from '../src/route';

describe('one locale', () => {
  it('groups integers like money: narrow no-break spaces', () => {
    expect(formatInteger(0)).toBe('0');
    expect(formatInteger(999)).toBe('999');
    expect(formatInteger(1234)).toBe('1\u202f234');
    expect(formatInteger(1234567)).toBe('1\u202f234\u202f567');
    expect(msText(25)).toBe('25 ms');
    expect(msText(12345.4)).toBe('12\u202f345 ms');
    expect(msText(-3)).toBe('0 ms');
  });

  it('formats times with a 24-hour clock and the day before the month', () => {
    const iso = '2026-12-01T19:05:09Z';
    const d = new Date(iso);
    const p = (n: number) => String(n).padStart(2, '0');
    const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    expect(LOCALE).toBe('ru-RU');
    expect(timeOf(iso)).toBe(hms);
    expect(dateTimeOf(iso)).toBe(`${p(d.getDate())}.${p(d.getMonth() + 1)}, ${hms}`);
    expect(timeOf('not a time')).toBe('not a time');
  });
});

describe('order addresses', () => {
  it('/orders/<id> opens that order; any other path opens none', () => {
    const id = '0a1b2c3d-1111-4111-8111-111111111111';
    expect(parseRoute(`/orders/${id}`)).toEqual({ orderId: id });
    expect(parseRoute(`/orders/${id}/`)).toEqual({ orderId: id });
    expect(parseRoute('/')).toEqual({ orderId: null });
    expect(parseRoute('/orders/')).toEqual({ orderId: null });
    expect(parseRoute('/orders/a/b')).toEqual({ orderId: null });
    expect(parseRoute('/orders/%3Cscript%3E')).toEqual({ orderId: null });
    expect(routePath({ orderId: id })).toBe(`/orders/${id}`);
    expect(routePath({ orderId: null })).toBe('/');
  });
});

describe('short ids', () => {
  it('tell apart ids created within the same minute (UUIDv7: the time comes first)', () => {
    const first = '01a2463b-0520-7a1c-9f3e-4b5c6d7e8f90';
    const second = '01a2463b-08a8-7d2e-8a1b-0c1d2e3f4a5b';
    expect(shortId(first)).toBe('6d7e8f90');
    expect(shortId(second)).toBe('2e3f4a5b');
    expect(shortId(first)).not.toBe(shortId(second));
  });
});
