// The hop-by-hop view of an order's timeline: milliseconds between consecutive steps.
import type { TimelineStep } from '../types';

export interface Hop {
  from: string;
  to: string;
  ms: number;
}

export function hops(timeline: readonly TimelineStep[]): Hop[] {
  const out: Hop[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const a = Date.parse(timeline[i - 1]!.at);
    const b = Date.parse(timeline[i]!.at);
    out.push({ from: timeline[i - 1]!.step, to: timeline[i]!.step, ms: Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, b - a) : 0 });
  }
  return out;
}
