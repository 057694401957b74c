import { fork } from 'node:child_process';
import path from 'node:path';

/** What an exporter served: scrape n got value n, at wall-clock time servedAt[n - 1] (ms). */
export interface Served {
  served: number[];
  servedAt: number[];
}

export interface ExporterProcess {
  /** host:port, as a scrape target. */
  url: string;
  /** What it served so far. */
  snapshot(): Promise<Served>;
  close(): Promise<void>;
}

/** Starts exporter-child.cjs with its configuration (see there) and waits for its port. */
export async function startExporterProcess(config: { body: string } | { sequence: { metric: string; labelText: string; extra: string } }): Promise<ExporterProcess> {
  const child = fork(path.join(__dirname, 'exporter-child.cjs'), [JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the exporter process exited with code ${code} before listening`)));
  });
  const url = `127.0.0.1:${port}`;
  return {
    url,
    snapshot: async () => (await (await fetch(`http://${url}/served`)).json()) as Served,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
