import { AppError } from '@app/common';

/**
 * Bounds how many imports run at once in this process; the rest wait in a short queue, and beyond
 * it are turned away with 503 + Retry-After. An import is CPU-bound for seconds on a large
 * document and holds hundreds of MB while it runs.
 */
export class ImportGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.maxRunning) {
      this.running += 1;
    } else {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError(
          'service_unavailable',
          `This server is already importing ${this.running} OpenAPI document(s) with ${this.waiting.length} waiting. Retry in a few seconds.`,
          { retryAfter: 5 },
          { 'Retry-After': '5' },
        );
      }
      // the slot is handed over by the import that finishes
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
