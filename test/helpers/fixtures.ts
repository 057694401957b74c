import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES } from '../../cli/demo/fixtures';

/** Copies of ../shared/fixtures (real data nobody on this project wrote), kept in the repository. */
export { FIXTURES };

export function fixture(...parts: string[]): Buffer {
  return fs.readFileSync(path.join(FIXTURES, ...parts));
}

export function fixtureJson<T>(...parts: string[]): T {
  return JSON.parse(fixture(...parts).toString('utf8')) as T;
}

export const AGENT_CAPTURES = [1, 2, 3].map((n) => ({
  body: fixture('prometheus-agent', `agent-remote-write-${n}.bin`),
  decoded: fixtureJson<{ timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value?: number; timestamp: number }> }> }>(
    'prometheus-agent',
    `agent-remote-write-${n}.decoded.json`,
  ),
  headers: fixtureJson<{ headers: Record<string, string> }>('prometheus-agent', `agent-remote-write-${n}.headers.json`).headers,
}));
