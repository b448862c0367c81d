import { csvField, csvLine } from './csv';

describe('CSV', () => {
  it('quotes fields holding commas, quotes and line breaks, doubling quotes', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines', null, 3, true])).toBe(
      'a,"b,c","say ""hi""","two\nlines",,3,true\r\n',
    );
  });

  it('defuses spreadsheet formulas in text but not numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-5)).toBe('-5');
  });
});
