// The results CSV is what users open in spreadsheets and what scripts parse: its quoting and layout are pinned here.
import { describe, expect, it } from 'vitest';
import { csvCell, resultsCsv, toCsv } from './csv';

describe('CSV', () => {
  it('quotes cells with commas, quotes or line breaks, doubling the quotes, and ends lines with CRLF', () => {
    expect(toCsv(['file', 'score'], [['a,b.png', 1.5], ['say "hi".png', 2]])).toBe('file,score\r\n"a,b.png",1.5\r\n"say ""hi"".png",2\r\n');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell('plain.png')).toBe('plain.png');
  });

  it('quotes text that a spreadsheet would take for a formula, and leaves non-finite numbers empty', () => {
    expect(['=1+1', '+x', '-x', '@x'].map(csvCell)).toEqual(['"=1+1"', '"+x"', '"-x"', '"@x"']);
    expect(csvCell(-1.5)).toBe('"-1.5"'); // the rule looks at the text, so a negative number is quoted too
    expect([NaN, Infinity].map(csvCell)).toEqual(['', '']);
  });

  it('writes the results file with its fixed header and 6 significant digits', () => {
    const csv = resultsCsv([
      { file: 'crack/0,1.png', score: 1.23456789, verdict: 'fail', threshold: 0.987654321, model: 'bottle "v2"' },
      { file: 'good.png', score: 0.5, verdict: 'pass', threshold: 0.987654321, model: 'bottle "v2"' },
    ]);
    expect(csv).toBe(
      'file,score,verdict,threshold,model\r\n' +
        '"crack/0,1.png",1.23457,fail,0.987654,"bottle ""v2"""\r\n' +
        'good.png,0.5,pass,0.987654,"bottle ""v2"""\r\n',
    );
    expect(resultsCsv([])).toBe('file,score,verdict,threshold,model\r\n');
  });
});
