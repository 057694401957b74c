import { DailyTotals } from '../../subgraphs/expenses/data/daily-totals';

describe('DailyTotals.groupOf', () => {
  const ACCOUNT = '0190e4a0-0000-7000-8000-000000000001';
  const DAY = 19_967;

  it('finds the same group for equal values, whatever string objects carry them', () => {
    const totals = new DailyTotals();
    const csv = 'AWS,Amazon Elastic Compute Cloud,Compute';
    const [provider, service, category] = csv.split(',');
    const group = totals.groupOf(ACCOUNT, DAY, provider, service, category);
    // Slices of another text, as the CSV reader hands them over.
    const again = `x${csv}`.slice(1).split(',');
    expect(totals.groupOf(ACCOUNT, DAY, again[0], again[1], again[2])).toBe(group);
    expect(group).toMatchObject({ cloudAccountId: ACCOUNT, day: DAY, provider: 'AWS', serviceName: 'Amazon Elastic Compute Cloud', serviceCategory: 'Compute' });
  });

  it('keeps apart values that differ only where its hash does not look, and NULL from every text', () => {
    const totals = new DailyTotals();
    // Same length, same first, middle, three-quarter and last characters.
    const a = totals.groupOf(ACCOUNT, DAY, 'AWS', 'aXcdefg', 'Compute');
    const b = totals.groupOf(ACCOUNT, DAY, 'AWS', 'aYcdefg', 'Compute');
    const empty = totals.groupOf(ACCOUNT, DAY, 'AWS', '', 'Compute');
    const none = totals.groupOf(ACCOUNT, DAY, 'AWS', null, 'Compute');
    const shifted = [totals.groupOf(ACCOUNT, DAY, 'AWS', 'ab', 'c'), totals.groupOf(ACCOUNT, DAY, 'AWS', 'a', 'bc')];
    const groups = [a, b, empty, none, ...shifted];
    expect(new Set(groups).size).toBe(groups.length);
    expect(totals.groupOf(ACCOUNT, DAY, 'AWS', 'aYcdefg', 'Compute')).toBe(b);
    expect(totals.groupOf(ACCOUNT, DAY, 'AWS', null, 'Compute')).toBe(none);
    // Another day or account is another group too.
    expect(totals.groupOf(ACCOUNT, DAY + 1, 'AWS', 'aXcdefg', 'Compute')).not.toBe(a);
    expect(totals.groupOf('0190e4a0-0000-7000-8000-000000000002', DAY, 'AWS', 'aXcdefg', 'Compute')).not.toBe(a);
  });

  it('sums exactly per group', () => {
    const totals = new DailyTotals();
    const group = totals.groupOf(ACCOUNT, DAY, 'AWS', 'S3', 'Storage');
    group.add('0.1', '0.2', '0.3');
    group.add('0.2', '0.00000000001', '1e-2');
    expect([group.billed.toString(), group.effective.toString(), group.list.toString(), group.count]).toEqual(['0.3', '0.20000000001', '0.31', 2]);
  });
});
