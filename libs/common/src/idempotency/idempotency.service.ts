import { hkdfSync } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { SecretBox } from '../crypto/secret-box';
import { AppError } from '../errors/app-error';
import { compareCodeUnits, sha256Hex } from '../ids/ids';
import { REDIS, RedisKeys } from '../redis/redis-keys';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions } from './idempotency.options';

/** What makes two requests "the same" for one Idempotency-Key. */
export interface IdempotentRequest {
  /** The caller the key belongs to (an account id): keys of different callers never meet. */
  scope: string;
  /** The Idempotency-Key the client sent. */
  key: string;
  /** Hash of the request itself (method, path, canonical body): the same key with another request is a conflict. */
  fingerprint: string;
}

export interface IdempotentResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyOutcome {
  /** True when the response is the stored answer of an earlier request with the same key. */
  replayed: boolean;
  response: IdempotentResponse;
}

/** Stored under the slot while the first request runs (a short lease) and after it succeeded (24 h). */
type SlotRecord =
  | { v: 1; state: 'pending'; fingerprint: string }
  | {
      v: 1;
      state: 'done';
      fingerprint: string;
      /** SecretBox `v1.<iv>.<tag>.<data>` of `{status, body}`. */
      sealed: string;
    };

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_DEFAULT_TTL_SECONDS = 24 * 3600;
/** How long a request may hold its key before a retry is allowed to run it again. */
export const IDEMPOTENCY_LEASE_SECONDS = 120;

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareCodeUnits(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Idempotency-Key support for any endpoint (ADR 0003). The first request with a key claims a slot
 * in Redis (`SET NX`, keyed by scope + key), runs, and stores its successful response for 24 h,
 * encrypted with AES-256-GCM under a key derived from the app's secret, so a response that holds
 * a secret (a new API key) is never at rest in clear. A retry with the same key and the same
 * request gets that response again; the same key with a different request, or while the first is
 * still running, is `idempotency_conflict`. Failures are not stored: the client may retry them.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly box: SecretBox;
  private readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(IDEMPOTENCY_OPTIONS) options: IdempotencyOptions,
  ) {
    if (options.secret.length < 32)
      throw new Error('IdempotencyModule needs a secret of at least 32 characters');
    this.box = new SecretBox(
      Buffer.from(hkdfSync('sha256', options.secret, 'portico-idempotency', 'response-encryption-v1', 32)),
    );
    this.ttlSeconds = options.ttlSeconds ?? IDEMPOTENCY_DEFAULT_TTL_SECONDS;
  }

  async execute(
    request: IdempotentRequest,
    work: () => Promise<IdempotentResponse>,
  ): Promise<IdempotencyOutcome> {
    const slot = this.keys.key('idempotency', sha256Hex(`${request.scope}\n${request.key}`));
    const pending: SlotRecord = { v: 1, state: 'pending', fingerprint: request.fingerprint };
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.store(() =>
        this.redis.set(slot, JSON.stringify(pending), 'EX', IDEMPOTENCY_LEASE_SECONDS, 'NX'),
      );
      if (claimed === 'OK')
        return { replayed: false, response: await this.runAndRemember(slot, request, work) };
      const existing = await this.store(() => this.redis.get(slot));
      if (existing === null) continue; // the slot expired between SET and GET: claim it again
      return { replayed: true, response: this.replay(slot, request, existing) };
    }
    throw new AppError('service_unavailable', 'The Idempotency-Key could not be claimed. Retry the request.');
  }

  private async runAndRemember(
    slot: string,
    request: IdempotentRequest,
    work: () => Promise<IdempotentResponse>,
  ): Promise<IdempotentResponse> {
    let response: IdempotentResponse;
    try {
      response = await work();
    } catch (error) {
      await this.redis.del(slot).catch(() => undefined);
      throw error;
    }
    try {
      const done: SlotRecord = {
        v: 1,
        state: 'done',
        fingerprint: request.fingerprint,
        sealed: this.box.seal(JSON.stringify(response), `${slot}\n${request.fingerprint}`),
      };
      await this.redis.set(slot, JSON.stringify(done), 'EX', this.ttlSeconds);
    } catch (error) {
      // the work is done: answer it; a retry after the lease runs it again, which is the lesser evil
      this.logger.error({ err: error }, 'could not store an idempotent response');
    }
    return response;
  }

  private replay(slot: string, request: IdempotentRequest, raw: string): IdempotentResponse {
    const record = JSON.parse(raw) as SlotRecord;
    if (record.fingerprint !== request.fingerprint) {
      throw new AppError(
        'idempotency_conflict',
        'This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.',
        { reason: 'different_request' },
      );
    }
    if (record.state === 'pending') {
      throw new AppError(
        'idempotency_conflict',
        'A request with this Idempotency-Key is still being processed. Retry in a moment to get its response.',
        { reason: 'in_progress', retryAfter: 1 },
        { 'Retry-After': '1' },
      );
    }
    const plain = this.box.openText(record.sealed, `${slot}\n${request.fingerprint}`);
    return JSON.parse(plain) as IdempotentResponse;
  }

  /** Redis unreachable: fail closed (never run a key-creating request twice by accident). */
  private async store<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.logger.error({ err: error }, 'idempotency store unavailable');
      throw new AppError(
        'service_unavailable',
        'Idempotency-Key could not be checked because a dependency is down. Retry shortly.',
        {},
        { 'Retry-After': '5' },
      );
    }
  }
}
