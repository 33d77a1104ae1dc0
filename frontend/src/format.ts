// Display text for everything that is not money (money.ts): times, durations, ids, reasons.
//
// One locale for the whole UI: ru-RU conventions, as the money already follows — digits grouped with a
// narrow no-break space ("1 234 ms", "5 000.00 ₽"), a 24-hour clock, the day before the month
// ("01.12, 07:42:04"). Dates are numeric so no Russian month name lands in the English text, and the
// user's own time zone is kept. The browser's default locale is never used: the same order must read the
// same on every machine.
import { GROUP_SEP } from './money';

export const LOCALE = 'ru-RU';

const TIME = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DATE_TIME = new Intl.DateTimeFormat(LOCALE, {
  day: '2-digit',
  month: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function formatDate(f: Intl.DateTimeFormat, iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : f.format(d);
}

/** "07:42:04" */
export function timeOf(iso: string): string {
  return formatDate(TIME, iso);
}

/** "01.12, 07:42:04" */
export function dateTimeOf(iso: string): string {
  return formatDate(DATE_TIME, iso);
}

/** Groups an integer's digits like money does: 1234567 → "1 234 567". */
export function formatInteger(n: number): string {
  const v = Math.round(n);
  const digits = String(Math.abs(v));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += GROUP_SEP;
    out += digits[i];
  }
  return v < 0 ? `\u2212${out}` : out;
}

/** A duration between timeline steps: "1 234 ms" (never negative: clocks of two services may disagree). */
export function msText(ms: number): string {
  return `${formatInteger(Math.max(0, ms))} ms`;
}

// The last 8 hex digits of an id: ids are UUIDv7, whose first digits are its creation time (the first 8
// change only every 65.5 s, so orders placed within a minute would share them); the tail is random.
export function shortId(id: string): string {
  return id.replace(/-/g, '').slice(-8);
}

export function reasonText(reason: string | null | undefined): string | null {
  switch (reason) {
    case null:
    case undefined:
    case '':
      return null;
    case 'insufficient_funds':
      return 'Not enough money on the account';
    case 'account_not_found':
      return 'No account yet — create one first';
    default:
      return reason.replace(/_/g, ' ');
  }
}

export const STEP_LABELS: Record<string, string> = {
  created: 'Created',
  published: 'Published',
  payment_succeeded: 'Paid',
  payment_failed: 'Payment failed',
  finished: 'Finished',
  cancelled: 'Cancelled',
};

export function stepLabel(step: string): string {
  return STEP_LABELS[step] ?? step;
}
