import type { Request } from 'express';

export const IDEMPOTENCY_OPTIONS = Symbol('IDEMPOTENCY_OPTIONS');

export interface IdempotencyOptions {
  /** Stored responses are encrypted with a key derived from this (at least 32 characters). */
  secret: string;
  /** The caller a request belongs to (an account id), or undefined when there is none. */
  scope: (req: Request) => string | undefined;
  /** How long a successful response is replayed; 24 h by default. */
  ttlSeconds?: number;
}
