import type { LimitDecision, LimitRequest } from './limiter.types';
import {
  HOUR_MICROS,
  MINUTE_MICROS,
  emissionIntervalMicros,
  limitShape,
  normaliseLimits,
  toDecision,
  validWeight,
  type NormalisedLimits,
  type SlotOutcome,
} from './limit-windows';

interface WindowCounters {
  /** GCRA theoretical arrival time, µs. */
  tat: number;
  minuteStart: number;
  minuteCount: number;
  hourStart: number;
  hourCount: number;
}

interface Evaluation {
  /** After this call, when it goes through. */
  slots: SlotOutcome[];
  /** As the windows stand before it (what a rejected call reports: it consumed nothing). */
  before: SlotOutcome[];
  allowed: boolean;
  rejectingSlot: number;
  retryMicros: number;
  commit: () => void;
}

export interface FallbackLimiterOptions {
  /** Most (subscription[, endpoint]) states kept; the least recently used go first. Default 100 000. */
  maxEntries?: number;
  /** Epoch ms; defaults to Date.now. */
  clock?: () => number;
}

/**
 * The per-process limiter used while Redis is unreachable: the same windows as the Redis script
 * (GCRA per second with burst, fixed UTC minute/hour windows) kept in memory, so each gateway
 * process enforces the limits on its own share of traffic. It knows nothing of quotas.
 */
export class FallbackLimiter {
  private readonly states = new Map<string, WindowCounters>();
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: FallbackLimiterOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.states.size;
  }

  decide(request: LimitRequest): LimitDecision {
    validWeight(request.weight);
    const plan = normaliseLimits(request.planLimits);
    const endpoint = normaliseLimits(request.endpointLimit?.limits);
    const now = Math.round(this.clock() * 1000);
    const planEval = this.evaluate(`p:${request.subscriptionId}`, plan, now, 0);
    const endpointEval = request.endpointLimit
      ? this.evaluate(`e:${request.subscriptionId}:${request.endpointLimit.endpointId}`, endpoint, now, 3)
      : null;
    const allowed = planEval.allowed && (endpointEval?.allowed ?? true);
    const pick = (ev: Evaluation | null): SlotOutcome[] =>
      ev ? (allowed ? ev.slots : ev.before) : emptySlots();
    const slots = [...pick(planEval), ...pick(endpointEval)];
    let rejectingSlot = -1;
    let retryMicros = 0;
    for (const ev of [planEval, endpointEval]) {
      if (ev && !ev.allowed && ev.retryMicros > retryMicros) {
        retryMicros = ev.retryMicros;
        rejectingSlot = ev.rejectingSlot;
      }
    }
    if (allowed) {
      planEval.commit();
      endpointEval?.commit();
    }
    return toDecision(
      limitShape(plan, endpoint, null),
      {
        allowed,
        reason: allowed ? null : 'rate_limit_exceeded',
        rejectingSlot,
        retryMicros,
        slots,
        quota: null,
        overageUnits: 0,
      },
      'fallback',
    );
  }

  private state(key: string): WindowCounters {
    let state = this.states.get(key);
    if (state) {
      // refresh recency: Map iteration order is insertion order
      this.states.delete(key);
    } else {
      state = { tat: 0, minuteStart: -1, minuteCount: 0, hourStart: -1, hourCount: 0 };
      if (this.states.size >= this.maxEntries) {
        const oldest = this.states.keys().next();
        if (!oldest.done) this.states.delete(oldest.value);
      }
    }
    this.states.set(key, state);
    return state;
  }

  private evaluate(key: string, limits: NormalisedLimits, now: number, slotBase: number): Evaluation {
    const slots = emptySlots();
    const before = emptySlots();
    const result: Evaluation = {
      slots,
      before,
      allowed: true,
      rejectingSlot: -1,
      retryMicros: 0,
      commit: () => undefined,
    };
    if (limits.perSecond === 0 && limits.perMinute === 0 && limits.perHour === 0) return result;
    const state = this.state(key);
    const writes: Array<() => void> = [];
    const reject = (slot: number, retry: number): void => {
      result.allowed = false;
      if (retry > result.retryMicros) {
        result.retryMicros = retry;
        result.rejectingSlot = slotBase + slot;
      }
    };
    if (limits.perSecond > 0) {
      const t = emissionIntervalMicros(limits.perSecond);
      const capacity = limits.perSecond + limits.burst;
      const tat = Math.max(state.tat, now);
      const available = Math.floor((now + capacity * t - tat) / t);
      if (available >= 1) {
        slots[0] = { remaining: available - 1, resetMicros: tat + t - now };
        before[0] = { remaining: available, resetMicros: tat - now };
        writes.push(() => (state.tat = tat + t));
      } else {
        slots[0] = before[0] = { remaining: 0, resetMicros: tat - now };
        reject(0, tat + t - capacity * t - now);
      }
    }
    const fixed = (
      slot: 1 | 2,
      limit: number,
      size: number,
      start: 'minuteStart' | 'hourStart',
      count: 'minuteCount' | 'hourCount',
    ): void => {
      if (limit === 0) return;
      const windowStart = now - (now % size);
      const used = state[start] === windowStart ? state[count] : 0;
      const reset = windowStart + size - now;
      if (used + 1 <= limit) {
        slots[slot] = { remaining: limit - used - 1, resetMicros: reset };
        before[slot] = { remaining: limit - used, resetMicros: reset };
        writes.push(() => {
          state[start] = windowStart;
          state[count] = used + 1;
        });
      } else {
        slots[slot] = before[slot] = { remaining: Math.max(0, limit - used), resetMicros: reset };
        reject(slot, reset);
      }
    };
    fixed(1, limits.perMinute, MINUTE_MICROS, 'minuteStart', 'minuteCount');
    fixed(2, limits.perHour, HOUR_MICROS, 'hourStart', 'hourCount');
    result.commit = () => writes.forEach((write) => write());
    return result;
  }
}

function emptySlots(): SlotOutcome[] {
  return Array.from({ length: 3 }, () => ({ remaining: 0, resetMicros: 0 }));
}
