// An order's hop-by-hop timeline (created → published → payment → finished/cancelled), drawn as a
// stacked bar with the milliseconds between hops.
import { msText, stepLabel, timeOf } from '../format';
import { hops } from '../state/timeline';
import type { Order } from '../types';

const HOP_COLORS = ['#6366f1', '#0ea5e9', '#14b8a6', '#a855f7'];
const EXPECTED = ['Created', 'Published', 'Payment', 'Finished / Cancelled'];

export function Timeline({ order }: { order: Order }) {
  const tl = order.timeline ?? [];
  const hs = hops(tl);
  const total = hs.reduce((s, h) => s + h.ms, 0);
  const max = Math.max(1, ...hs.map((h) => h.ms));
  const pending = order.status === 'Created';
  const missing = pending ? EXPECTED.length - tl.length : 0;
  return (
    <div class="timeline" data-testid="timeline">
      <div class="tl-head">
        <h3>Timeline</h3>
        <span class="muted small">{hs.length ? `total ${msText(total)}` : 'waiting for the first hop…'}</span>
      </div>
      {hs.length > 0 && (
        <div class="tl-stack" role="img" aria-label={`Time between hops: ${hs.map((h) => `${stepLabel(h.to)} after ${msText(h.ms)}`).join(', ')}`}>
          {hs.map((h, i) => (
            <span
              key={i}
              class="tl-seg"
              style={{ flexGrow: Math.max(h.ms, total / 40 || 1), background: HOP_COLORS[i % HOP_COLORS.length] }}
              title={`${stepLabel(h.from)} → ${stepLabel(h.to)}: ${msText(h.ms)}`}
            />
          ))}
          {pending && <span class="tl-seg pending" style={{ flexGrow: Math.max(total / 4, 1) }} />}
        </div>
      )}
      <ol class="tl-steps">
        {tl.map((s, i) => {
          const h = i > 0 ? hs[i - 1]! : null;
          return (
            <li key={s.step} class={`tl-step ${s.step}`}>
              <span class="tl-dot" aria-hidden="true" style={{ background: i > 0 ? HOP_COLORS[(i - 1) % HOP_COLORS.length] : '#94a3b8' }} />
              <span class="tl-name">{stepLabel(s.step)}</span>
              <time class="muted small mono" dateTime={s.at}>
                {timeOf(s.at)}
              </time>
              <span class="tl-bar-wrap" aria-hidden="true">
                {h && <span class="tl-bar" style={{ width: `${Math.max(2, (h.ms / max) * 100)}%`, background: HOP_COLORS[(i - 1) % HOP_COLORS.length] }} />}
              </span>
              <span class="tl-ms mono">{h ? `+${msText(h.ms)}` : 'start'}</span>
            </li>
          );
        })}
        {Array.from({ length: Math.max(0, missing) }, (_, i) => (
          <li key={`p${i}`} class="tl-step waiting">
            <span class="tl-dot" aria-hidden="true" />
            <span class="tl-name muted">{EXPECTED[tl.length + i]}</span>
            <span class="muted small">waiting…</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
