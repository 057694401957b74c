import path from 'node:path';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress.mts';

/** The dashboard's build: hashed assets under dist/assets, served by the gateway (gateway/dashboard/). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  plugins: [precompress()],
  build: {
    outDir: path.join(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // The polyfill would be an inline script, which the CSP forbids; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    // The chart library is one lazy chunk of about 550 kB (under 190 kB gzip), loaded with the first chart.
    chunkSizeWarningLimit: 600,
    // Maximum brotli on the chart chunk takes a few seconds, on purpose: it is done once per build.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
