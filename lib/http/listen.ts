import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenConfig } from '../config/listen';
import type { Logger } from '../log';

/** A service that is listening: where (public and internal), and how to stop it. */
export interface RunningService {
  /** The public endpoint (with the service's path, e.g. `/graphql`). */
  url: string;
  /** The internal listener's origin: /metrics, /readyz, /healthz. */
  internalUrl: string;
  close(): Promise<void>;
}

/** A service's HTTP servers, built but not listening yet, and what stops the rest of it. */
export interface ServiceServer {
  /** What the service's public port serves. */
  server: http.Server;
  /** /metrics, /readyz and /healthz (lib/http/internal-server.ts). */
  internal: http.Server;
  close(): Promise<void>;
}

/**
 * Listens on both ports (0: a free one), logs where, and on close stops listening before
 * stopping the rest. If either listener cannot bind, nothing is left running.
 */
export async function startListening(service: ServiceServer, listeners: ListenConfig, options: { name: string; logger: Logger; path?: string }): Promise<RunningService> {
  let origin: string;
  let internalUrl: string;
  try {
    origin = await listen(service.server, listeners.port, listeners.host);
    internalUrl = await listen(service.internal, listeners.internalPort, listeners.internalHost);
  } catch (error) {
    await stopListening(service);
    await service.close();
    throw error;
  }
  const url = `${origin}${options.path ?? ''}`;
  options.logger.info({ url, internalUrl }, `${options.name} listening`);
  return {
    url,
    internalUrl,
    close: async () => {
      await stopListening(service);
      await service.close();
    },
  };
}

async function stopListening(service: ServiceServer): Promise<void> {
  await Promise.all([closeServer(service.server), closeServer(service.internal)]);
}

export async function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}`;
}

/** Stops a server, listening or not; resolves once its connections are gone. */
export function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
