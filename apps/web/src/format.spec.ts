import { currencyDigits, formatMoney, setCurrencyTable, shiftDecimal, supportedCurrencies } from './format';

describe('shiftDecimal (money typed by a person → minor units, exactly)', () => {
  it.each([
    ['19.99', 2, '1999'],
    ['19.9', 2, '1990'],
    ['19', 2, '1900'],
    ['0', 2, '0'],
    ['.5', 2, '50'],
    ['0.1', 2, '10'],
    ['5', -1, '0.5'], // $5 per 1,000 calls = 500 cents / 1,000 = 0.5 cents a call
    ['0.10', -1, '0.01'],
    ['0.000001', -1, '0.0000001'],
    ['1200', 0, '1200'],
    ['007.50', 2, '750'],
    [' 3.25 ', 2, '325'],
  ])('%s × 10^%d = %s', (text, places, expected) => {
    expect(shiftDecimal(text, places)).toBe(expected);
  });

  it('keeps digits a float would lose', () => {
    expect(shiftDecimal('90071992547409.93', 2)).toBe('9007199254740993');
    expect(shiftDecimal('0.29', 2)).toBe('29'); // 0.29 * 100 = 28.999999999999996 in floats
  });

  it.each(['', '.', 'abc', '1,000', '-5', '1.2.3', '1e3'])('answers null for %j', (text) => {
    expect(shiftDecimal(text, 2)).toBeNull();
  });
});

describe('formatMoney', () => {
  it('formats minor-unit strings with the currency exponent', () => {
    expect(formatMoney('1999', 'USD')).toBe('$19.99');
    expect(formatMoney('1200', 'JPY')).toBe('¥1,200');
    expect(formatMoney('0.5', 'USD', { perUnit: true })).toBe('$0.005');
    expect(currencyDigits('EUR')).toBe(2);
  });
});

describe('the api’s currency table (GET /v1/currencies)', () => {
  it('wins over the browser’s digits, which are wrong for HUF, IDR, IQD', () => {
    expect(currencyDigits('HUF')).toBe(0); // Intl's guess before the table is loaded
    setCurrencyTable([
      { code: 'HUF', minorUnits: 2 },
      { code: 'IQD', minorUnits: 3 },
      { code: 'USD', minorUnits: 2 },
    ]);
    expect(currencyDigits('HUF')).toBe(2);
    // (Intl puts a no-break space after the code)
    expect(formatMoney('150000', 'HUF').replace(/\s/g, ' ')).toBe('HUF 1,500.00');
    expect(formatMoney('1500', 'IQD').replace(/\s/g, ' ')).toBe('IQD 1.500');
    expect(supportedCurrencies()).toEqual(['HUF', 'IQD', 'USD']);
  });
});
