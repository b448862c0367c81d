import type { PeriodWindow } from '@app/billing';
import { validationFailed } from '@app/common';
import type { PeriodWindowQueryDto } from './billing.dto';

/** `from`/`to` query strings → the window (from < to when both are given). */
export function windowOf(query: PeriodWindowQueryDto): PeriodWindow {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from.getTime() >= to.getTime()) throw validationFailed('to', 'must be after from');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
