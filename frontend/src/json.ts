// JSON.parse turns every number into a float, so an integer beyond 2^53 (a balance grown by many
// deposits; amounts themselves are capped at 10^12) silently loses its last digits — and then
// formatRubles refuses it and the page breaks. `parseJson` keeps such integers exact as bigint.
//
// Almost every response has no integer of 16 digits or more, and then the native parser is used; only
// a text holding such a run of digits goes through the small parser below (a run inside a string, e.g.
// a description, merely takes the slower path, with the same result).

const LONG_DIGITS = /\d{16}/;

export function parseJson(text: string): unknown {
  return LONG_DIGITS.test(text) ? new Parser(text).document() : JSON.parse(text);
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new SyntaxError(`JSON: ${what} at position ${this.i}`);
  }

  private ws(): void {
    WHITESPACE.lastIndex = this.i;
    WHITESPACE.exec(this.s);
    this.i = WHITESPACE.lastIndex;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail('malformed number');
    this.i = NUMBER.lastIndex;
    const n = Number(m[0]);
    // Only integers written as integers become bigint; 1.5 or 1e20 stay numbers, as JSON.parse gives.
    return m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
  }

  private string(): string {
    // Find the closing quote, then let JSON.parse decode and validate the escapes.
    const start = this.i;
    let j = start + 1;
    for (;;) {
      const c = this.s[j];
      if (c === undefined) return this.fail('unterminated string');
      if (c === '\\') j += 2;
      else if (c === '"') break;
      else j++;
    }
    this.i = j + 1;
    return JSON.parse(this.s.slice(start, j + 1)) as string;
  }

  private array(): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') return this.fail('expected , or ]');
    }
  }

  private object(): Record<string, unknown> {
    this.i++; // {
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') return this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') return this.fail('expected :');
      // defineProperty, not assignment: a "__proto__" key must stay a plain property, as with JSON.parse.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') return this.fail('expected , or }');
    }
  }
}
