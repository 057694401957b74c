export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query against the store's HTTP API. */
export async function instantQuery(baseUrl: string, query: string, time?: number): Promise<VectorSample[]> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time / 1000));
  const response = await fetch(`${baseUrl}/api/v1/query?${params}`);
  const body = (await response.json()) as { status: string; data: { result: VectorSample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error}`);
  return body.data.result;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
