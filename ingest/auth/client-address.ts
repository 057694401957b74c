import type http from 'node:http';

/**
 * The sender's address for the failure throttle. Behind `trustedProxyHops` proxies that each
 * append the address they received from to X-Forwarded-For, the client is that many entries
 * from the end; entries further left are whatever the client wrote and are never trusted.
 */
export function clientAddress(req: http.IncomingMessage, trustedProxyHops: number): string {
  const socketAddress = req.socket.remoteAddress ?? '';
  if (trustedProxyHops <= 0) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return hops.length >= trustedProxyHops ? hops[hops.length - trustedProxyHops] : socketAddress;
}
