import { ConfigError, portVar } from './env';

type Env = Record<string, string | undefined>;

/**
 * Where a service listens. The public listener serves what customers and clients need; the
 * internal one serves /metrics and /readyz (and /healthz), which must never face the internet:
 * ingest's metrics name every customer's cloud account and its volume.
 */
export interface ListenConfig {
  port: number;
  host: string;
  internalPort: number;
  /** In a pod 0.0.0.0, so the kubelet and the cluster's Prometheus reach it. */
  internalHost: string;
}

/** The internal listener's port; 0 picks a free one, anything else must not be the public port. */
export function internalPortVar(env: Env, name: string, fallback: number, publicPort: number): number {
  const port = portVar(env, name, fallback);
  if (port !== 0 && port === publicPort) throw new ConfigError(name, `must differ from the public port ${publicPort}: each listener needs its own`);
  return port;
}
