import { describe, expect, it } from 'vitest';
import { parseJson } from '../src/json';
import { formatRubles } from '../src/money';

describe('parseJson', () => {
  it('gives what JSON.parse gives for ordinary documents', () => {
    const docs = [
      '{"a":1,"b":[true,false,null],"c":"x\\"y\\\\z\\u00e9\\n","d":{"e":-1.5e3}}',
      ' [ ] ',
      '"плюс ₽"',
      '0',
      '{"big float":12345678901234567.5,"exp":1e21,"neg":-0}',
      '{"n":9007199254740991,"m":-9007199254740991}',
      '{"description":"order 12345678901234567890 here"}',
    ];
    for (const d of docs) expect(parseJson(d)).toEqual(JSON.parse(d));
  });

  it('keeps integers beyond 2^53 exact as bigint', () => {
    const v = parseJson('{"balance":9007199254740993,"entries":[{"balanceAfter":-123456789012345678901}],"small":42}') as {
      balance: bigint;
      entries: { balanceAfter: bigint }[];
      small: number;
    };
    expect(v.balance).toBe(9007199254740993n);
    expect(v.entries[0]!.balanceAfter).toBe(-123456789012345678901n);
    expect(v.small).toBe(42);
    expect(formatRubles(v.balance)).toBe('90\u202f071\u202f992\u202f547\u202f409.93\u00a0₽');
  });

  it('keeps a "__proto__" key a plain property', () => {
    const v = parseJson('{"__proto__":{"x":1},"n":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'n']);
  });

  it('rejects what JSON.parse rejects', () => {
    for (const bad of ['', '{', '{"a":1,}', '[1 2]', '01234567890123456', '{"a":12345678901234567', 'nul', '"\u0001"', '{"a":1} x', '[12345678901234567]]']) {
      expect(() => parseJson(bad), bad).toThrow(SyntaxError);
    }
  });
});
