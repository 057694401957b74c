import type { Gate } from './thanos-client';

interface State {
  running: number;
  /** Requests waiting for a slot, first come first served. */
  waiting: Array<() => void>;
}

/**
 * At most `perOrganization` PromQL requests of one organization in the store at a time; the
 * rest wait their turn. One organization's heavy dashboard then slows itself down, not the
 * store for everyone else.
 */
export class OrganizationGates {
  private readonly states = new Map<string, State>();

  constructor(private readonly perOrganization: number) {}

  /** The gate of the organizations a caller may see (an API token has one). */
  gate(organizationIds: readonly string[]): Gate {
    const key = [...organizationIds].sort().join(',');
    return (run) => this.run(key, run);
  }

  /** Requests of `key` in the store now (tests). */
  running(organizationIds: readonly string[]): number {
    return this.states.get([...organizationIds].sort().join(','))?.running ?? 0;
  }

  private async run<T>(key: string, run: () => Promise<T>): Promise<T> {
    let state = this.states.get(key);
    if (!state) {
      state = { running: 0, waiting: [] };
      this.states.set(key, state);
    }
    if (state.running < this.perOrganization) state.running++;
    // A finishing request hands its slot over: `running` stays as it is.
    else await new Promise<void>((resolve) => state!.waiting.push(resolve));
    try {
      return await run();
    } finally {
      const next = state.waiting.shift();
      if (next) next();
      else if (--state.running === 0) this.states.delete(key);
    }
  }
}
