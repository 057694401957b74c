import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ClusterAuthenticator } from '../../ingest/auth/cluster-auth';
import { loadIngestConfig } from '../../ingest/config';
import { createIngestServer, type IngestServer } from '../../ingest/server';
import type { Sink } from '../../ingest/sink/sink';
import { hashSecret } from '../../lib/accounts/secret-hash';
import { silentLogger } from '../../lib/log';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';

const ID = '11111111-1111-4111-8111-111111111111';

/**
 * Sends the request head at once and then the body one byte every `intervalMs` over a raw
 * socket, and resolves with what the server answered and whether it closed the connection.
 */
function trickle(port: number, head: string, body: Buffer, intervalMs: number): Promise<{ response: string; bytesSent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < body.length && socket.writable) socket.write(body.subarray(sent, ++sent));
      }, intervalMs);
    });
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    // The answer only counts once the server also let go of the socket.
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response, bytesSent: sent });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
  });
}

describe('ingest body deadline', () => {
  let ingest: IngestServer;
  let port: number;
  beforeAll(async () => {
    const hash = await hashSecret('pw');
    const sink: Sink = { write: async () => ({ kind: 'accepted' }), ready: async () => true, close() {} };
    const auth = new ClusterAuthenticator(async (id) => (id === ID ? { cloudAccountId: ID, secretHash: hash } : undefined));
    ingest = createIngestServer({ config: { ...loadIngestConfig({ INGEST_BODY_TIMEOUT: '400ms' }) }, auth, sink, logger: silentLogger });
    await new Promise<void>((resolve) => ingest.server.listen(0, '127.0.0.1', resolve));
    port = (ingest.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => ingest.server.close(() => resolve())));

  it('answers 408 to a body trickled a byte at a time, counts it, closes the connection and stays up', async () => {
    const body = writeBody([{ labels: { __name__: 'node_total_hourly_cost', node: 'n1' }, samples: [[Date.now(), 1]] }]);
    const headers = { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(ID, 'pw'), 'Content-Length': String(body.length), Host: 'ingest' };
    const head = `POST /api/v1/write HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')}\r\n\r\n`;
    // 100 ms a byte: the whole body would take several seconds, ten times the deadline.
    expect(body.length).toBeGreaterThan(40);
    const { response, bytesSent } = await trickle(port, head, body, 100);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toMatch(/body did not arrive within 400 ms/);
    expect(bytesSent).toBeLessThan(body.length);
    expect(await ingest.metrics.bodyTimeouts.get()).toMatchObject({ values: [{ value: 1 }] });
    expect((await ingest.metrics.requests.get()).values).toContainEqual(expect.objectContaining({ labels: { status: '408' }, value: 1 }));

    // The worker is still there for the next sender, whose body arrives in time.
    const next = await post(`http://127.0.0.1:${port}/api/v1/write`, body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(ID, 'pw') });
    expect(next.status).toBe(204);
  });

  it('defaults to a deadline well under a minute', () => {
    expect(loadIngestConfig({}).bodyTimeoutMs).toBeLessThanOrEqual(20_000);
    expect(loadIngestConfig({}).bodyTimeoutMs).toBeGreaterThanOrEqual(10_000);
  });
});
