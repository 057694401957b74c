import { emptyPiece } from '../../subgraphs/kubecost/costs/pieces';
import { SumsMemo, type Sums } from '../../subgraphs/kubecost/rollups/sums-memo';

const sums = (ids: string[], groups = 1): Sums => new Map(ids.map((id) => [id, new Map(Array.from({ length: groups }, (_, k) => [k, { hours: 1, costs: emptyPiece() }]))]));
const gens = (entries: Array<[string, number]>) => new Map(entries);

describe('rolled-up sums kept in memory', () => {
  it('identical requests share one read; a later one is answered from memory', async () => {
    const memo = new SumsMemo();
    let reads = 0;
    const read = async () => {
      reads++;
      return sums(['a']);
    };
    const [x, y] = await Promise.all([memo.get('k', ['a'], gens([['a', 0]]), read, () => true), memo.get('k', ['a'], gens([['a', 0]]), read, () => true)]);
    expect(reads).toBe(1);
    expect(x).toBe(y);
    await memo.get('k', ['a'], gens([['a', 0]]), read, () => true);
    expect(reads).toBe(1);
  });

  it('a moved generation (late samples threw rows away) reads again', async () => {
    const memo = new SumsMemo();
    let reads = 0;
    const read = async () => sums(['a', 'b'], ++reads);
    await memo.get('k', ['a', 'b'], gens([['a', 0], ['b', 3]]), read, () => true);
    const again = await memo.get('k', ['a', 'b'], gens([['a', 0], ['b', 4]]), read, () => true);
    expect(reads).toBe(2);
    expect(again.get('a')!.size).toBe(2);
  });

  it('incomplete sums are not kept; failures are not kept', async () => {
    const memo = new SumsMemo();
    let reads = 0;
    await memo.get('k', ['a'], gens([['a', 0]]), async () => sums(['a'], ++reads), () => false);
    await memo.get('k', ['a'], gens([['a', 0]]), async () => sums(['a'], ++reads), () => true);
    expect(reads).toBe(2);
    await expect(memo.get('f', ['a'], gens([['a', 0]]), () => Promise.reject(new Error('database down')), () => true)).rejects.toThrow('database down');
    await expect(memo.get('f', ['a'], gens([['a', 0]]), async () => sums(['a']), () => true)).resolves.toBeDefined();
  });

  it('is bounded by the groups it holds (least recently used go first), expires, and forgets clusters', async () => {
    let now = 0;
    const memo = new SumsMemo(10, 1000, () => now);
    const reads: string[] = [];
    const get = (key: string, id: string) => memo.get(key, [id], gens([[id, 0]]), async () => (reads.push(key), sums([id], 4)), () => true);
    await get('k1', 'a');
    await get('k2', 'b');
    await get('k1', 'a'); // k1 is now the most recent
    await get('k3', 'c'); // 12 groups > 10: k2 goes
    await get('k1', 'a');
    await get('k2', 'b');
    expect(reads).toEqual(['k1', 'k2', 'k3', 'k2']);
    memo.forget(['b']);
    await get('k2', 'b');
    now = 2000;
    await get('k2', 'b');
    expect(reads).toEqual(['k1', 'k2', 'k3', 'k2', 'k2', 'k2']);
  });
});
