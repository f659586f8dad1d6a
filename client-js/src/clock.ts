/** Time as the client sees it; tests pass a fake one (the `clock` option). */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The delay before reconnect attempt `attempt` (0 for the first): exponential backoff with full jitter, uniform
 * between 0 and `min(maxDelay, minDelay * 2^attempt)`, so that clients cut off together (a broker outage closes
 * every connection at once, §10) come back spread over the whole window instead of as one wave.
 */
export function backoffDelay(attempt: number, minDelay: number, maxDelay: number, random: () => number): number {
  const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(random() * ceiling);
}
