import { PassThrough } from 'node:stream';
import { createLogger, resolveLogFormat, type LogFormat } from '../../lib/log';

/** Logs one event through a logger of `format` and returns what reached the destination. */
async function logOnce(format: LogFormat): Promise<string> {
  const destination = new PassThrough();
  const chunks: Buffer[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk));
  const logger = createLogger('ingest', { level: 'info', format, destination });
  logger.info({ tenant: 'acct-1', password: 'hunter2', req: { headers: { authorization: 'Basic c2VjcmV0' } } }, 'store unavailable');
  logger.debug('below the level');
  await new Promise((resolve) => setImmediate(resolve));
  return Buffer.concat(chunks).toString('utf8');
}

describe('log format', () => {
  it('auto means readable lines at a terminal and JSON anywhere else (pods, pipes, files)', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('json: one parseable object per event, with the service name and secrets redacted', async () => {
    const lines = (await logOnce('json')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(event).toMatchObject({ name: 'ingest', msg: 'store unavailable', tenant: 'acct-1', password: '[redacted]', level: 30 });
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('c2VjcmV0');
  });

  it('pretty: one readable line per event, not JSON, with the same redaction', async () => {
    const text = await logOnce('pretty');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0])).toThrow();
    expect(lines[0]).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(ingest\): store unavailable /);
    expect(lines[0]).toContain('"tenant":"acct-1"');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain('below the level');
  });
});
