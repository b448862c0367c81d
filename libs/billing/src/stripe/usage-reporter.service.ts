import { Clock } from '@app/common';
import { MeteringService } from '@app/metering';
import { Injectable, Logger } from '@nestjs/common';
import { BillingEnv } from '../billing.env';
import { BillingFaults } from '../faults/billing-faults';
import { PaymentsPort } from '../payments/payments.port';
import { StripeBillingRepository } from './stripe-billing.repository';

/** Windows ending less than this long ago are left for the next run (late usage batches still land in them). */
export const USAGE_REPORT_LAG_MS = 2 * 60_000;
/** At most this many windows per subscription per run (a long outage catches up over several runs). */
const MAX_WINDOWS_PER_RUN = 48;

export interface UsageReportRun {
  subscriptions: number;
  windows: number;
  reported: number;
  failed: number;
}

/** `<subscriptionId>:<windowStart ISO>`: the meter event's identifier and its idempotency key's business key. */
export function usageIdentifier(subscriptionId: string, windowStart: Date): string {
  return `${subscriptionId}:${windowStart.toISOString()}`;
}

/**
 * PAYMENTS=stripe: overage reported to Stripe's metered price (job `billing.report-usage`, every
 * minute), aggregated per subscription and window of STRIPE_USAGE_WINDOW_MINUTES from the metering
 * rollups — one meter event per window with units, never one per call. Each window's units are
 * written to `billing_usage_reports` before the Stripe call, so a rerun after a crash sends the
 * same request (same idempotency key, same identifier): Stripe counts it once.
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
    const run: UsageReportRun = { subscriptions: 0, windows: 0, reported: 0, failed: 0 };
    if (!this.payments.collectsSubscriptions) return run;
    const until = new Date(asOf.getTime() - USAGE_REPORT_LAG_MS);
    let afterId: string | null = null;
    for (;;) {
      const links = await this.repo.linksToReport(200, afterId);
      for (const link of links) {
        run.subscriptions += 1;
        const windows: { start: Date; end: Date }[] = [];
        // windows are aligned to the epoch; the first one starts when the subscription was paid for
        for (let start = link.usageReportedUntil; windows.length < MAX_WINDOWS_PER_RUN; ) {
          const end = new Date((Math.floor(start.getTime() / this.windowMs) + 1) * this.windowMs);
          if (end.getTime() > until.getTime()) break;
          windows.push({ start, end });
          start = end;
        }
        if (windows.length === 0) continue;
        const usage = await this.metering.usageForPeriods(
          windows.map((w) => ({ subscriptionId: link.subscriptionId, start: w.start, end: w.end })),
        );
        for (const [i, window] of windows.entries()) {
          run.windows += 1;
          const units = BigInt(usage[i].overageUnits);
          if (units <= 0n) continue;
          await this.repo.insertUsageReport({
            subscriptionId: link.subscriptionId,
            windowStart: window.start,
            windowEnd: window.end,
            units: units.toString(),
            identifier: usageIdentifier(link.subscriptionId, window.start),
          });
        }
        await this.repo.advanceUsageCursor(link.subscriptionId, windows[windows.length - 1].end);
      }
      if (links.length < 200) break;
      afterId = links[links.length - 1].subscriptionId;
    }
    const sent = await this.sendPending();
    run.reported = sent.reported;
    run.failed = sent.failed;
    return run;
  }

  /** Sends every written, unreported window (this run's, and any a crash left behind). */
  async sendPending(): Promise<{ reported: number; failed: number }> {
    let reported = 0;
    let failed = 0;
    for (const row of await this.repo.unreportedUsage(500)) {
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
        await this.repo.markUsageReported(row.subscriptionId, row.windowStart, this.clock.now());
        reported += 1;
      } catch (error) {
        failed += 1;
        this.logger.warn({ err: error, identifier: row.identifier }, 'usage window not reported; the next run retries');
      }
    }
    return { reported, failed };
  }
}
