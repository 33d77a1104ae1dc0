import { describe, expect, it, vi } from 'vitest';
import { ignoreRepeatedClicks } from '../src/clicks';

describe('submit buttons', () => {
  it('submit on a single click and on the first click of a double click', () => {
    for (const detail of [0, 1]) {
      const preventDefault = vi.fn();
      ignoreRepeatedClicks({ detail, preventDefault });
      expect(preventDefault).not.toHaveBeenCalled();
    }
  });

  it('submit nothing on the later clicks of a double or triple click', () => {
    for (const detail of [2, 3]) {
      const preventDefault = vi.fn();
      ignoreRepeatedClicks({ detail, preventDefault });
      expect(preventDefault).toHaveBeenCalledOnce();
    }
  });
});
