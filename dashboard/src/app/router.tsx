import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The app's routes; anything else is "not found". Each has a path the gateway serves index.html for. */
export type Route =
  | { page: 'overview' }
  | { page: 'clusters' }
  | { page: 'cluster'; id: string }
  | { page: 'expenses' }
  | { page: 'allocation' }
  | { page: 'connect' }
  | { page: 'not-found' };

export function routeOf(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'overview' };
  if (pathname === '/clusters') return { page: 'clusters' };
  const cluster = /^\/clusters\/([^/]+)$/.exec(pathname);
  if (cluster) return { page: 'cluster', id: decodeURIComponent(cluster[1]) };
  if (pathname === '/expenses') return { page: 'expenses' };
  if (pathname === '/allocation') return { page: 'allocation' };
  if (pathname === '/connect') return { page: 'connect' };
  return { page: 'not-found' };
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

/** Moves to a URL within the app; `replace` for state changes that should not add a Back step. */
export function navigate(to: string, { replace = false } = {}): void {
  if (to === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

/** The current location, re-rendered on navigation and Back/Forward. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

/** Sets query parameters of the current URL (undefined removes one). */
export function updateSearch(changes: Record<string, string | undefined>, options: { replace?: boolean } = {}): void {
  const search = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') search.delete(key);
    else search.set(key, value);
  }
  const query = search.toString();
  navigate(`${location.pathname}${query ? `?${query}` : ''}`, options);
}

/** An ordinary link (new tab, copy address work) that navigates in place on a plain click. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest} />;
}
