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

describe('isUuid', () => {
  it.each([
    'c0ffee00-0000-4000-8000-000000000001',
    '0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6',
    '00000000-0000-0000-0000-000000000000',
  ])('accepts %s', (id) => expect(isUuid(id)).toBe(true));

  it.each([
    ['empty', ''],
    ['one digit short', 'c0ffee00-0000-4000-8000-00000000000'],
    ['one digit long', 'c0ffee00-0000-4000-8000-0000000000011'],
    ['no dashes', 'c0ffee0000004000800000000000000001ab'],
    ['a dash moved', 'c0ffee0-00000-4000-8000-000000000001'],
    ['a letter past f', 'c0ffee00-0000-4000-8000-00000000000g'],
    ['a space', 'c0ffee00-0000-4000-8000 000000000001'],
    ['braces', '{c0ffee00-0000-4000-8000-0000000001}'],
    ['a non-ASCII digit', 'c0ffee00-0000-4000-8000-00000000000\u0661'],
  ])('rejects %s', (_case, id) => expect(isUuid(id)).toBe(false));
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
