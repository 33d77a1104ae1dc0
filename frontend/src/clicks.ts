// Submit buttons and double clicks.

/**
 * A submit button's click handler: the later clicks of a double or triple click (`detail` > 1) submit
 * nothing. The busy guard covers clicks that land while the first request is under way; with a fast
 * server the first answer can already be in, and the form refilled and enabled again, when the second
 * click lands, which would then place another order or top up again. A keyboard submit has no clicks.
 */
export function ignoreRepeatedClicks(e: Pick<MouseEvent, 'detail' | 'preventDefault'>): void {
  if (e.detail > 1) e.preventDefault();
}
