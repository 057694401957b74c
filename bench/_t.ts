import snappy from 'snappy';
import { decodeWriteRequest, encodeWriteRequest } from '../ingest/pipeline/codec';
import { kubecostSeries } from './lib/series';
import { WriteRequestTemplate } from './lib/write-request-template';
for (const [n, s, rnd] of [[50, 40, false], [2000, 1, false], [1000, 100, true], [700,100,true]] as const) {
  const t = new WriteRequestTemplate(kubecostSeries(n, 'x-s0'), s);
  const now = Date.now();
  t.fill(now - 1000, 10, 5, rnd);
  const d = decodeWriteRequest(t.raw);
  const re = Buffer.from(encodeWriteRequest(d.timeseries));
  let t0 = performance.now(); let c!: Buffer;
  for (let i = 0; i < 50; i++) { t.fill(now + i, 10, i, rnd); c = snappy.compressSync(t.raw); }
  const per = (performance.now() - t0) / 50;
  console.log(n, s, 'raw', t.raw.length, 'compressed', c.length, 'reencode equal', re.equals(t.raw), 'fill+compress ms', per.toFixed(3), d.timeseries[0].labels, d.timeseries[0].samples.slice(0,2), now-1000);
}
