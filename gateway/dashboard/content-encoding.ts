export type Encoding = 'br' | 'gzip' | 'identity';

/**
 * The best precompressed variant the client accepts: brotli, then gzip, then none. A coding
 * listed with q=0 is refused; `*` stands for codings not named.
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: ReadonlySet<Encoding>): Encoding {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    weights.set(name, q === undefined ? 1 : Number(q));
  }
  const accepts = (coding: string) => (weights.get(coding) ?? weights.get('*') ?? 0) > 0;
  for (const coding of ['br', 'gzip'] as const) if (available.has(coding) && accepts(coding)) return coding;
  return 'identity';
}
