import { compareCodeUnits, isUuid, timeOrderedUuid } from './ids';

describe('timeOrderedUuid', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the time in ms', () => {
    const at = Date.UTC(2026, 10, 28, 18, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(isUuid(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by time across milliseconds and stays unique within one', () => {
    const earlier = Array.from({ length: 1000 }, () => timeOrderedUuid(1_000));
    const later = Array.from({ length: 1000 }, () => timeOrderedUuid(1_001));
    expect(new Set([...earlier, ...later]).size).toBe(2000);
    const maxEarlier = [...earlier].sort().at(-1)!;
    const minLater = [...later].sort()[0];
    expect(maxEarlier < minLater).toBe(true);
  });

  it('keeps drawing fresh random bits past its pooled buffer', () => {
    const ids = Array.from({ length: 2000 }, () => timeOrderedUuid(5));
    expect(new Set(ids.map((id) => id.slice(15))).size).toBe(2000);
  });
});

describe('compareCodeUnits', () => {
  it("orders strings by code unit, as PostgreSQL orders lower-case uuids and C-collated text", () => {
    const ids = [
      'ffffffff-0000-4000-8000-000000000000',
      '0aaaaaaa-0000-4000-8000-000000000000',
      'a0000000-0000-4000-8000-000000000000',
      '0a-b',
    ];
    expect([...ids].sort(compareCodeUnits)).toEqual([
      '0a-b',
      '0aaaaaaa-0000-4000-8000-000000000000',
      'a0000000-0000-4000-8000-000000000000',
      'ffffffff-0000-4000-8000-000000000000',
    ]);
    expect(compareCodeUnits('B', 'a')).toBe(-1);
    expect(compareCodeUnits('abc', 'abc')).toBe(0);
  });
});
