import { Clock } from '@app/common';
import { MeteringService } from '@app/metering';
import { Injectable, Logger } from '@nestjs/common';
import { BillingEnv } from '../billing.env';
import { BillingFaults } from '../faults/billing-faults';
import { PaymentsPort } from '../payments/payments.port';
import { STRIPE_ENDED_STATUSES } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';

/** Windows ending less than this long ago are left for the next run (late usage batches still land in them). */
export const USAGE_REPORT_LAG_MS = 2 * 60_000;
/**
 * A reported window is checked again once this long after its end, and units that landed since (a
 * worker catching up on a backlog of usage batches, say) are reported as a revision. Well inside
 * the hour Stripe waits after a period ends before it finalises the period's invoice.
 */
export const USAGE_RECHECK_LAG_MS = 30 * 60_000;
/** Metering's unit: usage is counted per minute. */
const MINUTE_MS = 60_000;
/** An ended Stripe subscription is still reported this long after its last period ended (Stripe finalises its last invoice an hour after). */
const ENDED_REPORT_MS = 2 * 3600_000;
/** At most this many windows per subscription per run (a long outage catches up over several runs). */
const MAX_WINDOWS_PER_RUN = 48;
/** The period sweep reads at most this many windows per subscription per run (a month of hour windows is 720). */
const MAX_SWEPT_WINDOWS_PER_RUN = 1_000;

export interface UsageReportRun {
  subscriptions: number;
  windows: number;
  /** Windows read once more by period sweeps. */
  swept: number;
  reported: number;
  failed: number;
}

/**
 * `<subscriptionId>:<windowStart ISO>`, and `:<revision>` after it for units that landed later: the
 * meter event's identifier and its idempotency key's business key.
 */
export function usageIdentifier(subscriptionId: string, windowStart: Date, revision = 0): string {
  return `${subscriptionId}:${windowStart.toISOString()}${revision === 0 ? '' : `:${revision}`}`;
}

/**
 * PAYMENTS=stripe: overage reported to Stripe's metered price (job `billing.report-usage`, every
 * minute), aggregated per subscription and window of STRIPE_USAGE_WINDOW_MINUTES from the metering
 * rollups — one meter event per window with units, never one per call. Each window's units are
 * written to `billing_usage_reports` before the Stripe call, so a rerun after a crash sends the
 * same request (same idempotency key, same identifier): Stripe counts it once. USAGE_RECHECK_LAG
 * after its end each window is read again (a second cursor) and units that landed after its report
 * go out as a revision: a further meter event of the difference, written and sent the same way.
 * When Stripe has renewed (its period ended) and that period's windows were re-checked, each of
 * them is read once more (a third cursor, the period sweep), for usage later than the re-check.
 */
@Injectable()
export class UsageReporter {
  private readonly logger = new Logger(UsageReporter.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly metering: MeteringService,
    private readonly payments: PaymentsPort,
    private readonly faults: BillingFaults,
    private readonly env: BillingEnv,
    private readonly clock: Clock,
  ) {}

  get windowMs(): number {
    return this.env.STRIPE_USAGE_WINDOW_MINUTES * 60_000;
  }

  /** Reports every window that closed (with the lag) before `asOf`. A no-op with local payments. */
  async reportDue(asOf: Date = this.clock.now()): Promise<UsageReportRun> {
    const run: UsageReportRun = { subscriptions: 0, windows: 0, swept: 0, reported: 0, failed: 0 };
    if (!this.payments.collectsSubscriptions) return run;
    const until = new Date(asOf.getTime() - USAGE_REPORT_LAG_MS);
    let afterId: string | null = null;
    for (;;) {
      const links = await this.repo.linksToReport(200, afterId, new Date(asOf.getTime() - ENDED_REPORT_MS));
      for (const link of links) {
        run.subscriptions += 1;
        // Stripe's period boundaries cut the windows, so each bills in its own period; an ended
        // subscription is reported up to its last period's end (Stripe's final invoice waits an hour for it)
        const cuts = [link.currentPeriodStart, link.currentPeriodEnd].filter((at): at is Date => at !== null);
        const ended = STRIPE_ENDED_STATUSES.has(link.stripeStatus) && link.currentPeriodEnd !== null;
        const last = (at: Date): Date => (ended && link.currentPeriodEnd! < at ? link.currentPeriodEnd! : at);
        const windows = this.windowsBetween(link.usageReportedUntil, last(until), cuts);
        if (windows.length > 0) {
          run.windows += windows.length;
          await this.writeUnreported(link.subscriptionId, windows);
          await this.repo.advanceUsageCursor(link.subscriptionId, windows[windows.length - 1].end);
        }
        const reportedUntil = windows.at(-1)?.end ?? link.usageReportedUntil;
        const recheckUntil = new Date(
          Math.min(reportedUntil.getTime(), asOf.getTime() - USAGE_RECHECK_LAG_MS),
        );
        const rechecks = this.windowsBetween(link.usageRecheckedUntil, last(recheckUntil), cuts);
        if (rechecks.length > 0) {
          await this.writeUnreported(link.subscriptionId, rechecks);
          await this.repo.advanceUsageRecheck(link.subscriptionId, rechecks[rechecks.length - 1].end);
        }
        // Stripe renewed: once the ended period's windows were re-checked, each is read once more, so
        // usage that landed later still (a longer backlog) reaches that period's invoice, which Stripe
        // finalises an hour after the period's end
        const periodStart = link.currentPeriodStart;
        const recheckedUntil = rechecks.at(-1)?.end ?? link.usageRecheckedUntil;
        // the same walk as the reports' (same start, same cut), so each window is found by its start;
        // the ended period's windows are those ending by its end (a window the cut skipped, the period
        // starting in its first minute, bills in the new period: it is swept at the next renewal)
        const next = this.windowsBetween(link.usageSweptUntil, recheckedUntil, cuts, 1)[0];
        if (!ended && periodStart && recheckedUntil >= periodStart && next && next.end <= periodStart) {
          const swept = this.windowsBetween(link.usageSweptUntil, recheckedUntil, cuts, MAX_SWEPT_WINDOWS_PER_RUN).filter(
            (w) => w.end <= periodStart,
          );
          if (swept.length > 0) {
            run.swept += swept.length;
            await this.writeUnreported(link.subscriptionId, swept);
            await this.repo.advanceUsageSweep(link.subscriptionId, swept[swept.length - 1].end);
          }
        }
      }
      if (links.length < 200) break;
      afterId = links[links.length - 1].subscriptionId;
    }
    const sent = await this.sendPending();
    run.reported = sent.reported;
    run.failed = sent.failed;
    return run;
  }

  /**
   * Before a consumer's immediate cancellation (`StripeSubscriptionChanges.cancelNow`): every window
   * of the subscription up to `until`, the last one ending there, written and sent, so the final
   * invoice Stripe makes at the cancellation bills the overage up to it (calls still in flight to
   * the worker, at most a few seconds' worth, are left out). The cursor moves to `until`.
   */
  async reportThrough(subscriptionId: string, until: Date): Promise<{ reported: number; failed: number }> {
    const link = await this.repo.linkBySubscriptionId(subscriptionId);
    if (!link || !this.payments.collectsSubscriptions) return { reported: 0, failed: 0 };
    const cuts = [link.currentPeriodStart, link.currentPeriodEnd].filter((at): at is Date => at !== null);
    for (let from = link.usageReportedUntil; from.getTime() < until.getTime(); ) {
      const windows = this.windowsBetween(from, until, cuts);
      if (windows.length === 0) windows.push({ start: from, end: until });
      await this.writeUnreported(subscriptionId, windows);
      from = windows[windows.length - 1].end;
      await this.repo.advanceUsageCursor(subscriptionId, from);
    }
    // nothing after the cancellation is billed at Stripe: both cursors skip to the period's end
    const done = link.currentPeriodEnd && link.currentPeriodEnd > until ? link.currentPeriodEnd : until;
    await this.repo.advanceUsageCursor(subscriptionId, done);
    await this.repo.advanceUsageRecheck(subscriptionId, done);
    // this subscription's only: the consumer's cancellation waits for it
    return this.sendPending(subscriptionId);
  }

  /**
   * The windows (aligned to the epoch, and cut at each of `cuts` — Stripe's period boundaries; the
   * first starts at `from`) that end by `until`, `max` at most. A cut within a
   * window's first minute is skipped: usage is counted per minute, and a minute belongs to the window
   * holding its start, so that minute would be timestamped before the cut (the first window starts
   * on the minute before Stripe's period began).
   */
  private windowsBetween(
    from: Date,
    until: Date,
    cuts: readonly Date[],
    max = MAX_WINDOWS_PER_RUN,
  ): { start: Date; end: Date }[] {
    const windows: { start: Date; end: Date }[] = [];
    for (let start = from; windows.length < max; ) {
      let end = new Date((Math.floor(start.getTime() / this.windowMs) + 1) * this.windowMs);
      for (const cut of cuts) if (cut.getTime() - start.getTime() >= MINUTE_MS && cut < end) end = cut;
      if (end.getTime() > until.getTime()) break;
      windows.push({ start, end });
      start = end;
    }
    return windows;
  }

  /**
   * Writes what the windows' overage exceeds the units already written for them (the first time: all
   * of it, revision 0; on the re-check: what landed since, as the next revision).
   */
  private async writeUnreported(
    subscriptionId: string,
    windows: readonly { start: Date; end: Date }[],
  ): Promise<void> {
    const [usage, written] = await Promise.all([
      this.metering.usageForPeriods(windows.map((w) => ({ subscriptionId, start: w.start, end: w.end }))),
      this.repo.writtenUsage(
        subscriptionId,
        windows.map((w) => w.start),
      ),
    ]);
    for (const [i, window] of windows.entries()) {
      const before = written.get(window.start.getTime()) ?? { units: 0n, nextRevision: 0 };
      const units = BigInt(usage[i].overageUnits) - before.units;
      if (units <= 0n) continue;
      if (before.nextRevision > 0)
        this.logger.log(
          { subscriptionId, windowStart: window.start, units: units.toString() },
          'usage landed after its window was reported: reported as a revision',
        );
      await this.repo.insertUsageReport({
        subscriptionId,
        windowStart: window.start,
        windowEnd: window.end,
        revision: before.nextRevision,
        units: units.toString(),
        identifier: usageIdentifier(subscriptionId, window.start, before.nextRevision),
      });
    }
  }

  /** Sends every written, unreported window (this run's, and any a crash left behind); only `subscriptionId`'s when given. */
  async sendPending(subscriptionId?: string): Promise<{ reported: number; failed: number }> {
    let reported = 0;
    let failed = 0;
    for (const row of await this.repo.unreportedUsage(500, subscriptionId)) {
      const link = await this.repo.linkBySubscriptionId(row.subscriptionId);
      if (!link) continue;
      try {
        await this.payments.reportUsage({
          subscriptionId: row.subscriptionId,
          customerId: link.stripeCustomerId,
          windowStart: row.windowStart,
          windowEnd: row.windowEnd,
          identifier: row.identifier,
          units: BigInt(row.units),
        });
        this.faults.pass('usage.after-provider-call');
        await this.repo.markUsageReported(row, this.clock.now());
        reported += 1;
      } catch (error) {
        failed += 1;
        this.logger.warn(
          { err: error, identifier: row.identifier },
          'usage window not reported; the next run retries',
        );
      }
    }
    return { reported, failed };
  }
}
