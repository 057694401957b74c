import { useEffect, useRef, type ReactNode } from 'react';
import { clearToken } from '../auth/token-store';
import { useCanManage } from '../auth/viewer';
import { Link, routeOf, useLocation } from './router';

const NAV = [
  { href: '/', label: 'Overview', pages: ['overview'] },
  { href: '/clusters', label: 'Clusters', pages: ['clusters', 'cluster'] },
  { href: '/allocation', label: 'Allocation', pages: ['allocation'] },
  { href: '/expenses', label: 'Expenses', pages: ['expenses'] },
  { href: '/connect', label: 'Connect a cluster', pages: ['connect'], adminOnly: true },
];

/** Skip link, navigation (keeping the range), sign-out, and the page; focus moves to the page on navigation. */
export function Layout({ children }: { children: ReactNode }) {
  const { pathname, search } = useLocation();
  const page = routeOf(pathname).page;
  const main = useRef<HTMLElement>(null);
  const canManage = useCanManage();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [pathname]);
  // The range travels with the navigation, so every page shows the same days.
  const keep = new URLSearchParams();
  for (const key of ['from', 'to']) {
    const value = search.get(key);
    if (value) keep.set(key, value);
  }
  const suffix = keep.toString() ? `?${keep}` : '';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">costgraph</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => canManage || !item.adminOnly).map((item) => (
              <li key={item.href}>
                <Link href={`${item.href}${item.href === '/connect' ? '' : suffix}`} aria-current={item.pages.includes(page) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={() => clearToken('signed-out')}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
