import { Command, type Redis } from 'ioredis';
import { LIMITER_LUA, LIMITER_LUA_SHA1 } from './limiter.script';
import { LimiterUnavailableError } from './limiter.errors';
import {
  limiterKeyBase,
  QUOTA_COUNTER_GRACE_MS,
  quotaCounterExpiresAt,
  quotaCounterKey,
} from './quota-counter';
import type { LimitDecision, LimitRequest } from './limiter.types';
import {
  hasAnyWindow,
  limitShape,
  normaliseLimits,
  quotaLimitOf,
  quotaState,
  toDecision,
  validWeight,
  type LimitShape,
  type NormalisedLimits,
  type RawDecision,
  type SlotOutcome,
} from './limit-windows';

/**
 * The limiter's Redis keys. The subscription id is the Redis Cluster hash tag, so the three keys
 * of one call always live in one slot (an EVALSHA over several keys needs that).
 */
export function limiterKeys(
  prefix: string,
  subscriptionId: string,
  endpointId: string | undefined,
  periodKey: string,
): [string, string, string] {
  const base = limiterKeyBase(prefix, subscriptionId);
  return [
    `${base}:rl`,
    `${base}:rl:ep:${endpointId ?? '-'}`,
    quotaCounterKey(prefix, subscriptionId, periodKey),
  ];
}

export interface RedisLimiterOptions {
  /** Key prefix (the install's REDIS_PREFIX). */
  prefix: string;
  /**
   * Epoch ms for the decision. Leave unset in production: the script then reads Redis TIME, one
   * clock for every gateway process. Tests set it to make windows deterministic.
   */
  clock?: () => number;
}

/**
 * Everything about a limit request that does not change from call to call: its normalised limits,
 * the decision's shape (windows, `RateLimit-Policy`) and its EVALSHA command in RESP (in production
 * the whole command: only a test clock, ARGV[1], varies per call). Built once per request object:
 * `limitRequestFor` memoises requests per cached subscription, which is replaced (never mutated)
 * when its plan or period changes, so a plan change reaches the limiter as a new request.
 */
interface CompiledRequest {
  quotaLimit: number | null;
  shape: LimitShape;
  /** No window and no quota: nothing to count, no round trip. */
  countsNothing: boolean;
  keys: [string, string, string];
  /** ARGV[2..14]. */
  fixedArgs: string[];
  /** RESP of `EVALSHA <sha> 3 <keys>`. */
  head: string;
  /** RESP of ARGV[2..14]. */
  tail: string;
  /** The whole command with ARGV[1] = '' (Redis TIME: production's clock). */
  onRedisClock: string;
}

/** A RESP bulk string of ASCII text (its length is its byte length). */
function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

function resp(parts: readonly string[]): string {
  let out = '';
  for (const part of parts) out += `$${Buffer.byteLength(part)}\r\n${part}\r\n`;
  return out;
}

/**
 * An ioredis command written as the RESP text given (the limiter's EVALSHA, mostly pre-encoded per
 * limit request): no argument list flattened and encoded per call. Replies are handled by ioredis
 * as for any command.
 */
class EncodedCommand extends Command {
  constructor(private readonly encoded: string) {
    super('evalsha');
  }

  override toWritable(): string {
    return this.encoded;
  }
}

/**
 * Rate limits and the period quota decided atomically in one Redis round trip: EVALSHA of a
 * script loaded once (EVAL on NOSCRIPT, which also caches it). Throws LimiterUnavailableError
 * when Redis cannot answer. Use a dedicated connection (createLimiterRedis): no offline queue, a
 * short command timeout. The EVALSHAs of one event-loop turn leave in one socket write: the
 * connection's socket is corked at the first one and uncorked on `setImmediate` (what ioredis'
 * auto-pipelining does, without its per-tick pipeline and second command object per call).
 */
export class RedisLimiter {
  private readonly compiled = new WeakMap<LimitRequest, CompiledRequest>();
  private corked: Redis['stream'] | null = null;
  private readonly uncork = (): void => {
    const stream = this.corked;
    this.corked = null;
    stream?.uncork();
  };

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLimiterOptions,
  ) {}

  /** `request` is treated as immutable: what it compiles to is kept as long as the object lives. */
  async decide(request: LimitRequest): Promise<LimitDecision> {
    let c = this.compiled.get(request);
    if (!c) this.compiled.set(request, (c = this.compile(request)));
    const nowMs = this.options.clock ? this.options.clock() : Date.now();
    if (c.countsNothing) {
      return toDecision(
        c.shape,
        {
          allowed: true,
          reason: null,
          rejectingSlot: -1,
          retryMicros: 0,
          slots: emptySlots(),
          quota: null,
          overageUnits: 0,
        },
        'none',
      );
    }
    const now = this.options.clock ? String(Math.round(nowMs * 1000)) : '';
    let reply: unknown;
    try {
      reply = await this.send(new EncodedCommand(now === '' ? c.onRedisClock : c.head + bulk(now) + c.tail));
    } catch (error) {
      if (!isNoScript(error)) throw unavailable(error);
      reply = await this.evalScript(c, now);
    }
    return toDecision(c.shape, parseReply(reply, request, c.quotaLimit, nowMs), 'redis');
  }

  private compile(request: LimitRequest): CompiledRequest {
    const weight = validWeight(request.weight);
    const plan = normaliseLimits(request.planLimits);
    const endpoint = normaliseLimits(request.endpointLimit?.limits);
    const quotaLimit = quotaLimitOf(request.quota);
    const keys = limiterKeys(
      this.options.prefix,
      request.subscriptionId,
      request.endpointLimit?.endpointId,
      request.quota.periodKey,
    );
    const fixedArgs = [
      String(weight),
      ...limitArgs(plan),
      ...limitArgs(endpoint),
      String(quotaLimit ?? -1),
      request.quota.mode === 'hard' ? '1' : '0',
      String(quotaCounterExpiresAt(request.quota.periodEndsAt)),
      String(QUOTA_COUNTER_GRACE_MS),
    ];
    // 1 command + sha + numkeys + 3 keys + 14 arguments
    const head = `*20\r\n$7\r\nEVALSHA\r\n${resp([LIMITER_LUA_SHA1, '3', ...keys])}`;
    const tail = resp(fixedArgs);
    return {
      quotaLimit,
      shape: limitShape(
        plan,
        endpoint,
        quotaLimit === null ? null : { limit: quotaLimit, period: request.quota },
      ),
      countsNothing: !hasAnyWindow(plan) && !hasAnyWindow(endpoint) && quotaLimit === null,
      keys,
      fixedArgs,
      head,
      tail,
      onRedisClock: head + bulk('') + tail,
    };
  }

  /** NOSCRIPT (Redis restarted or flushed its scripts): EVAL, which also caches the script again. */
  private async evalScript(c: CompiledRequest, now: string): Promise<unknown> {
    try {
      return await this.redis.eval(LIMITER_LUA, 3, ...c.keys, now, ...c.fixedArgs);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private send(command: Command): Promise<unknown> {
    const stream = this.redis.status === 'ready' ? this.redis.stream : null;
    if (stream && this.corked === null) {
      stream.cork();
      this.corked = stream;
      setImmediate(this.uncork);
    }
    void this.redis.sendCommand(command);
    return command.promise;
  }
}

function limitArgs(limits: NormalisedLimits): string[] {
  return [String(limits.perSecond), String(limits.burst), String(limits.perMinute), String(limits.perHour)];
}

function emptySlots(): SlotOutcome[] {
  return Array.from({ length: 6 }, () => ({ remaining: 0, resetMicros: 0 }));
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function unavailable(error: unknown): LimiterUnavailableError {
  const message = error instanceof Error ? error.message : String(error);
  return new LimiterUnavailableError(`the limiter's Redis did not answer: ${message}`, { cause: error });
}

function parseReply(
  reply: unknown,
  request: LimitRequest,
  quotaLimit: number | null,
  nowMs: number,
): RawDecision {
  if (!Array.isArray(reply) || reply.length !== 18 || !reply.every((v) => typeof v === 'number')) {
    throw new LimiterUnavailableError('the limiter script answered something unexpected');
  }
  const n = reply;
  const slots: SlotOutcome[] = [];
  for (let i = 0; i < 6; i++) slots.push({ remaining: n[6 + i * 2], resetMicros: n[7 + i * 2] });
  const reason = n[1] === 1 ? 'rate_limit_exceeded' : n[1] === 2 ? 'quota_exceeded' : null;
  return {
    allowed: n[0] === 1,
    reason,
    rejectingSlot: n[2] - 1,
    retryMicros: n[3],
    slots,
    quota: quotaLimit === null ? null : quotaState(request.quota, quotaLimit, n[4], nowMs),
    overageUnits: n[5],
  };
}
