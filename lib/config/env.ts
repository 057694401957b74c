/**
 * Reading typed settings from the environment. Every reader names the variable in its
 * error so a misconfigured service fails at start with a message an operator can act on.
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function stringVar(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function optionalStringVar(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function intVar(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `expected an integer, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `expected a value between ${min} and ${max}, got ${parsed}`);
  return parsed;
}

export function portVar(env: Env, name: string, fallback: number): number {
  return intVar(env, name, fallback, 0, 65535);
}

export function urlVar(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `expected http(s), got ${url.protocol}`);
  return value.replace(/\/+$/, '');
}

/** Durations like `30s`, `5m`, `2h`, `30d` or plain milliseconds. */
export function durationVar(env: Env, name: string, fallbackMs: number, minMs = 0, maxMs = Number.MAX_SAFE_INTEGER): number {
  const value = raw(env, name);
  if (value === undefined) return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined) throw new ConfigError(name, `expected a duration like 30s, 5m, 2h or 30d, got "${value}"`);
  if (ms < minMs || ms > maxMs) throw new ConfigError(name, `expected a duration between ${minMs} and ${maxMs} ms, got ${ms} ms`);
  return ms;
}

/**
 * Bounds of a timeout: 0 switches undici's timeouts off (a hung peer is awaited forever) or
 * aborts at once, and Node's timers turn anything above 2^31-1 ms into 1 ms.
 */
export const TIMEOUT_MIN_MS = 1;
export const TIMEOUT_MAX_MS = 2 ** 31 - 1;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
}

export function listVar(env: Env, name: string, fallback: readonly string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  // Set but empty would silently mean "nothing" (for an allow-list: drop everything).
  if (items.length === 0) throw new ConfigError(name, `expected a comma-separated list, got no item in "${value}"`);
  return items;
}

/** One of `allowed`, as written (case-insensitive). */
export function enumVar<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const found = allowed.find((option) => option === value.toLowerCase());
  if (!found) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}
