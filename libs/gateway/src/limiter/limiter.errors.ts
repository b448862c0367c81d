/** The limiter could not reach Redis (or Redis failed the script): LimiterService falls back or fails closed. */
export class LimiterUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LimiterUnavailableError';
  }
}
