import { addMonthsClamped, dailyPeriodAt, monthlyPeriodAt, periodAt } from './periods';

const d = (iso: string): Date => new Date(iso);

describe('monthly periods anchored to the subscription start', () => {
  it('keeps the anchor day and UTC time of day', () => {
    const anchor = d('2026-03-15T10:20:30.400Z');
    expect(monthlyPeriodAt(anchor, d('2026-05-01T00:00:00Z'))).toEqual({
      start: d('2026-04-15T10:20:30.400Z'),
      end: d('2026-05-15T10:20:30.400Z'),
    });
  });

  it('clamps Jan 31 to Feb 28 and returns to Mar 31', () => {
    const anchor = d('2026-01-31T12:00:00Z');
    expect(addMonthsClamped(anchor, 1)).toEqual(d('2026-02-28T12:00:00Z'));
    expect(addMonthsClamped(anchor, 2)).toEqual(d('2026-03-31T12:00:00Z'));
    expect(addMonthsClamped(anchor, 3)).toEqual(d('2026-04-30T12:00:00Z'));
    expect(monthlyPeriodAt(anchor, d('2026-03-01T00:00:00Z'))).toEqual({
      start: d('2026-02-28T12:00:00Z'),
      end: d('2026-03-31T12:00:00Z'),
    });
  });

  it('clamps to Feb 29 in leap years (and not in century non-leap years)', () => {
    expect(addMonthsClamped(d('2028-01-31T00:00:00Z'), 1)).toEqual(d('2028-02-29T00:00:00Z'));
    expect(addMonthsClamped(d('2099-12-31T00:00:00Z'), 2)).toEqual(d('2100-02-28T00:00:00Z'));
    expect(addMonthsClamped(d('2399-12-31T00:00:00Z'), 2)).toEqual(d('2400-02-29T00:00:00Z'));
  });

  it('a Feb 29 anchor falls on Feb 28 in the following non-leap year and back to the 29th later', () => {
    const anchor = d('2028-02-29T08:00:00Z');
    expect(addMonthsClamped(anchor, 12)).toEqual(d('2029-02-28T08:00:00Z'));
    expect(addMonthsClamped(anchor, 13)).toEqual(d('2029-03-29T08:00:00Z'));
  });

  it('crosses year boundaries', () => {
    expect(monthlyPeriodAt(d('2026-11-30T00:00:00Z'), d('2027-01-15T00:00:00Z'))).toEqual({
      start: d('2026-12-30T00:00:00Z'),
      end: d('2027-01-30T00:00:00Z'),
    });
  });

  it('a boundary instant belongs to the period it starts', () => {
    const anchor = d('2026-01-10T00:00:00Z');
    expect(monthlyPeriodAt(anchor, d('2026-02-10T00:00:00Z')).start).toEqual(d('2026-02-10T00:00:00Z'));
    expect(monthlyPeriodAt(anchor, d('2026-02-09T23:59:59.999Z')).start).toEqual(anchor);
  });

  it('before the anchor answers the first period', () => {
    const anchor = d('2026-06-01T00:00:00Z');
    expect(monthlyPeriodAt(anchor, d('2026-05-01T00:00:00Z'))).toEqual({
      start: anchor,
      end: d('2026-07-01T00:00:00Z'),
    });
  });

  it('is UTC arithmetic: DST changes elsewhere move nothing', () => {
    // Europe and the US change clocks in late March / early November; UTC boundaries do not move
    const anchor = d('2026-03-01T23:30:00Z');
    expect(monthlyPeriodAt(anchor, d('2026-04-02T00:00:00Z'))).toEqual({
      start: d('2026-04-01T23:30:00Z'),
      end: d('2026-05-01T23:30:00Z'),
    });
  });

  it('finds the period many years on', () => {
    const anchor = d('2026-01-31T05:00:00Z');
    const at = d('2031-02-28T05:00:00Z');
    expect(monthlyPeriodAt(anchor, at)).toEqual({ start: at, end: d('2031-03-31T05:00:00Z') });
  });
});

describe('daily periods', () => {
  it('are the UTC calendar day', () => {
    expect(dailyPeriodAt(d('2026-03-29T01:30:00Z'))).toEqual({
      start: d('2026-03-29T00:00:00Z'),
      end: d('2026-03-30T00:00:00Z'),
    });
  });

  it('ignore the anchor', () => {
    expect(periodAt('day', d('2026-01-31T12:00:00Z'), d('2026-02-28T23:59:59Z'))).toEqual({
      start: d('2026-02-28T00:00:00Z'),
      end: d('2026-03-01T00:00:00Z'),
    });
  });
});
