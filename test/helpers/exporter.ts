import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exporter {
  url: string;
  /** Scrapes served so far: each one is one sample per series in the store, eventually. */
  scrapes: number;
  close(): Promise<void>;
}

/** Serves a fixed Prometheus text exposition, like a Kubecost cost-model exporter. */
export async function startExporter(body: string): Promise<Exporter> {
  const exporter = { scrapes: 0 } as Exporter;
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) exporter.scrapes++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  exporter.url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  exporter.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return exporter;
}
