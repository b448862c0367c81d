import { AppError } from '@app/common';
import { plainText, ratingOf } from './review.rules';

describe('plainText', () => {
  it('trims and folds CRLF and CR to LF, keeping markup as is', () => {
    expect(plainText('body', '  <b>hi</b>\r\nthere\rnow\t!  ', 100)).toBe('<b>hi</b>\nthere\nnow\t!');
  });

  it.each([
    ['empty after trimming', '   \n ', {}],
    ['over the limit', 'x'.repeat(11), {}],
    ['with a control character', 'a\u0000b', {}],
    ['with an escape sequence', 'a\u001b[31mb', {}],
    ['multi-line where one line is asked', 'a\nb', { singleLine: true }],
  ])('refuses text %s with validation_failed naming the field', (_name, value, options) => {
    let error: unknown;
    try {
      plainText('title', value, 10, options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'validation_failed', extensions: { errors: [{ field: 'title' }] } });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(plainText('title', '😀'.repeat(10), 10)).toBe('😀'.repeat(10));
  });
});

describe('ratingOf', () => {
  it('has no average without reviews', () => {
    expect(ratingOf([0, 0, 0, 0, 0])).toEqual({
      average: null,
      count: 0,
      distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
    });
  });

  it('averages to two decimals with the distribution', () => {
    expect(ratingOf([1, 0, 1, 0, 1])).toEqual({
      average: 3,
      count: 3,
      distribution: { '1': 1, '2': 0, '3': 1, '4': 0, '5': 1 },
    });
    expect(ratingOf([0, 0, 0, 1, 2])).toMatchObject({ average: 4.67, count: 3 });
  });
});
