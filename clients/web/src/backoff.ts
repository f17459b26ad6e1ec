// Full-jitter exponential backoff: the n-th wait is uniform in [0, min(max, min * 2^n)].
export class Backoff {
  private attempt = 0;

  constructor(readonly minMs: number, readonly maxMs: number, private readonly random: () => number = Math.random) {}

  /** The next wait, in ms; each call widens the range until reset(). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  /** The server answered: start over from the smallest range. */
  reset(): void {
    this.attempt = 0;
  }
}
