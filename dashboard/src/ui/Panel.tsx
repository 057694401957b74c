import { useId, type ReactNode } from 'react';
import { RETRY_MS } from '../api/use-query';

/**
 * A titled part of a page. A panel whose data failed says what failed and that it retries by
 * itself; the rest of the page stays.
 */
export function Panel({ title, failed, children, className }: { title: string; failed?: string; children?: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section className={`panel ${className ?? ''}`} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {failed ? (
        <p className="panel-error" role="status">
          Not available: {failed}. Retrying every {RETRY_MS / 1000} s.
        </p>
      ) : (
        children
      )}
    </section>
  );
}

/** Names what is missing from a partial answer; the page shows what arrived. */
export function MissingBanner({ lines }: { lines: string[] }) {
  if (lines.length === 0) return null;
  return (
    <div className="banner banner-warning" role="status">
      <strong>Some data is missing.</strong>
      <ul>
        {lines.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      <span>The page asks again every {RETRY_MS / 1000} s.</span>
    </div>
  );
}

/** The request as a whole failed (nothing to show yet). */
export function PageError({ message }: { message: string }) {
  return (
    <div className="banner banner-error" role="alert">
      <strong>The dashboard could not load this page.</strong> {message}. Retrying every {RETRY_MS / 1000} s.
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}
