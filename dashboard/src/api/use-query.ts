import { useCallback, useEffect, useRef, useState } from 'react';
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { execute, Unauthenticated, type GraphQLErrorEntry } from './client';

/** How long a page with missing parts waits before asking again by itself. */
export const RETRY_MS = 10_000;

/** Answers that asking again cannot change (a bad id, a refused argument). */
const FINAL_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'QUERY_TOO_COMPLEX', 'GRAPHQL_VALIDATION_FAILED']);
const worthRetrying = (errors: readonly GraphQLErrorEntry[]) => errors.some((e) => !FINAL_CODES.has(e.extensions?.code ?? ''));

export type QueryState<T> =
  | { status: 'loading' }
  | { status: 'failed'; message: string }
  | { status: 'done'; data: T; errors: GraphQLErrorEntry[] };

/**
 * One request per page: runs the operation when its variables change, keeps the last answer
 * while a newer one loads, and asks again every RETRY_MS while the answer is partial or failed.
 */
export function useQuery<TResult, TVariables>(
  document: DocumentTypeDecoration<TResult, TVariables> & { toString(): string },
  variables: TVariables,
  options: { pollMs?: number; skip?: boolean } = {},
): QueryState<TResult> & { refetch: () => void; refreshing: boolean } {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<QueryState<TResult>>({ status: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (options.skip) return;
    const id = ++latest.current;
    const controller = new AbortController();
    setRefreshing(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = (ms: number) => (timer = setTimeout(() => setTick((n) => n + 1), ms));
    execute(document, JSON.parse(key) as TVariables, controller.signal)
      .then((answer) => {
        if (id !== latest.current) return;
        if (answer.data === null) {
          setState({ status: 'failed', message: answer.errors.map((e) => e.message).join('; ') || 'no data' });
          if (worthRetrying(answer.errors)) again(RETRY_MS);
        } else {
          setState({ status: 'done', data: answer.data, errors: answer.errors });
          if (worthRetrying(answer.errors)) again(RETRY_MS);
          else if (options.pollMs) again(options.pollMs);
        }
      })
      .catch((error: unknown) => {
        if (id !== latest.current || controller.signal.aborted || error instanceof Unauthenticated) return;
        setState({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
        again(RETRY_MS);
      })
      .finally(() => id === latest.current && setRefreshing(false));
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [document, key, tick, options.pollMs, options.skip]);

  // A change of variables shows "loading" rather than the previous range's numbers.
  const shown = useRef(key);
  useEffect(() => {
    if (shown.current !== key) {
      shown.current = key;
      setState({ status: 'loading' });
    }
  }, [key]);

  const refetch = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, refetch, refreshing };
}
