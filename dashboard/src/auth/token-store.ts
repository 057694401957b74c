/**
 * The API token lives in sessionStorage only: it dies with the tab, never reaches a URL the
 * server sees (the `#token=` fragment is not sent, and is removed at once) nor localStorage.
 */
const KEY = 'costgraph.token';

type Listener = (reason: SignOutReason | undefined) => void;
export type SignOutReason = 'signed-out' | 'refused';

const listeners = new Set<Listener>();

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
  for (const listener of listeners) listener(undefined);
}

/** Forgets the token; `refused` when the API answered 401 (revoked or unknown token). */
export function clearToken(reason: SignOutReason): void {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(reason);
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Takes a token from a `#token=<token>` link (what `costgraph up` prints), keeps it and
 * removes the fragment from the address bar and the history entry before anything renders.
 */
export function adoptTokenFromFragment(): void {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (token === null) return;
  if (token.trim() !== '') saveToken(token);
  fragment.delete('token');
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
}
