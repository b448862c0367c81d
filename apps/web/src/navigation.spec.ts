import { safeNext } from './navigation';

describe('safeNext (where sign-in goes afterwards)', () => {
  it.each([
    ['/apis/weather-now', '/apis/weather-now'],
    ['/provider?tab=payouts', '/provider?tab=payouts'],
    [null, '/dashboard'],
    ['', '/dashboard'],
    ['https://evil.example/', '/dashboard'],
    ['//evil.example/', '/dashboard'],
    ['/\\evil.example/', '/dashboard'],
    ['javascript:alert(1)', '/dashboard'],
  ])('%j → %s', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});
