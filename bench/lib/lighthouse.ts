import net from 'node:net';
import { chromium } from 'playwright-core';

export interface LighthouseScores {
  performance: number;
  accessibility: number;
  bestPractices: number;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Lighthouse (desktop preset, its simulated throttling) on each URL, in Debian's Chromium
 * started here with a debugging port for Lighthouse to drive; scores out of 100.
 */
export async function lighthouseScores(executablePath: string, urls: string[]): Promise<LighthouseScores[]> {
  // Lighthouse is an ES module; this file runs as CommonJS.
  const { default: lighthouse } = await import('lighthouse');
  const { default: desktop } = await import('lighthouse/core/config/desktop-config.js');
  const port = await freePort();
  const browser = await chromium.launch({
    executablePath,
    args: [`--remote-debugging-port=${port}`, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const scores: LighthouseScores[] = [];
    for (const url of urls) {
      const result = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices'] }, desktop);
      const categories = result!.lhr.categories;
      const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
      scores.push({ performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices') });
    }
    return scores;
  } finally {
    await browser.close();
  }
}
