import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CsvReader, CsvSyntaxError, type CsvRecord } from '../../subgraphs/expenses/import/csv';
import { FIXTURES } from '../helpers/fixtures';

const FIXTURE = fs.readFileSync(path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv'), 'utf8');

function readAll(chunks: string[]): CsvRecord[] {
  const reader = new CsvReader();
  const records: CsvRecord[] = [];
  for (const chunk of chunks) records.push(...reader.push(chunk));
  records.push(...reader.end());
  return records;
}

function splitEvery(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

/** Quoting, doubled quotes, quoted line breaks (LF, CRLF, CR), blank lines, bare and quoted NULL, empty fields. */
const TRICKY = '\ufeff"a","b","c"\r\n"x ""quoted""",NULL,"NULL"\r\n\r\n"multi\nline","crlf\r\ninside",\n"lone\rcr",plain,""\r"last","row","no newline"';
const TRICKY_RECORDS: Array<Pick<CsvRecord, 'fields' | 'line'>> = [
  { fields: ['a', 'b', 'c'], line: 1 },
  { fields: ['x "quoted"', null, 'NULL'], line: 2 },
  { fields: ['multi\nline', 'crlf\r\ninside', ''], line: 4 },
  { fields: ['lone\rcr', 'plain', ''], line: 7 },
  { fields: ['last', 'row', 'no newline'], line: 9 },
];

describe('CSV reader', () => {
  it('reads quoting, NULLs, line breaks and blank lines, and numbers physical lines', () => {
    const records = readAll([TRICKY]);
    expect(records.map(({ fields, line }) => ({ fields, line }))).toEqual(TRICKY_RECORDS);
    // The raw text is the record as written, without its terminator.
    expect(records[1].raw).toBe('"x ""quoted""",NULL,"NULL"');
    expect(records[2].raw).toBe('"multi\nline","crlf\r\ninside",');
  });

  it('gives the same records wherever the input is cut into chunks', () => {
    const whole = readAll([TRICKY]);
    for (let cut = 1; cut < TRICKY.length; cut++) {
      expect(readAll([TRICKY.slice(0, cut), TRICKY.slice(cut)])).toEqual(whole);
    }
    expect(readAll(splitEvery(TRICKY, 1))).toEqual(whole);
    expect(readAll(splitEvery(TRICKY, 7))).toEqual(whole);
  });

  it('reads the FOCUS fixture like csv-parse does, in chunks of any size', () => {
    const expected = parse(FIXTURE, { cast: (value, context) => (value === 'NULL' && !context.quoting ? null : value) }) as (string | null)[][];
    const lines = FIXTURE.split('\n');
    for (const size of [FIXTURE.length, 65_536, 4_099, 97]) {
      const records = readAll(splitEvery(FIXTURE, size));
      expect(records.map((r) => r.fields)).toEqual(expected);
      expect(records.map((r) => r.raw)).toEqual(lines.filter((line) => line !== ''));
      expect(records[999].line).toBe(1000);
    }
  });

  it.each([
    ['an unterminated quoted field', 'a,b\n1,"open\n', 2, /unterminated quoted field/],
    ['text after a closing quote', 'a,b\n"1"x,2\n', 2, /closing quote is followed by a character other than a delimiter/],
    ['a quote inside an unquoted field', 'a,b\n\n1,2"3\n', 3, /a quote inside an unquoted field/],
  ])('refuses %s at the line where the record starts', (_name, text, line, reason) => {
    for (const chunks of [[text], splitEvery(text, 1)]) {
      let error: unknown;
      try {
        readAll(chunks);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect(error).toMatchObject({ line });
      expect((error as CsvSyntaxError).reason).toMatch(reason);
    }
  });

  it('reads a record far longer than any chunk in linear time', () => {
    const long = 'x'.repeat(3_000_000);
    const text = `a,b\n"${long}",2\n`;
    // Re-scanning the partial record on every 1,000-character chunk would take minutes: the
    // test's timeout, not a measured time, is what fails a quadratic reader.
    const records = readAll(splitEvery(text, 1_000));
    expect(records[1].fields).toEqual([long, '2']);
  });
});
