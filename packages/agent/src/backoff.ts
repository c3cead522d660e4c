/**
 * Delay before the next attempt after `failures` consecutive failures: exponential from `base`,
 * capped, with "full jitter" so that a fleet does not reconnect in lockstep after an outage.
 */
export function backoffDelay(
  failures: number,
  options: { baseMs: number; capMs: number; random?: () => number },
): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.max(options.baseMs / 2, Math.round(ceiling * random()));
}
