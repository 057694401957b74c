import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

export interface BreakingChange {
  /** Schema coordinate, e.g. `Organization.kubernetesCosts`. */
  path: string;
  message: string;
}

/** Changes of the client-facing schema that can break an existing client (graphql-inspector's verdict). */
export async function breakingChanges(previousSdl: string, nextSdl: string): Promise<BreakingChange[]> {
  const changes = await diff(buildSchema(previousSdl), buildSchema(nextSdl));
  return changes
    .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
    .map((change) => ({ path: change.path ?? '(schema)', message: change.message }));
}

/** A commit message line that accepts every breaking change of that commit, with a reason. */
export const ACCEPT_TRAILER = /^Breaking-Change-Accepted:\s*\S.*$/m;

/**
 * Breaking changes are refused unless the commit message carries the trailer, or
 * schema/accepted-breaking-changes.txt lists the changed coordinate (one per line, `#` comments).
 */
export function unaccepted(changes: BreakingChange[], commitMessage: string, acceptedFile: string): BreakingChange[] {
  if (ACCEPT_TRAILER.test(commitMessage)) return [];
  const accepted = new Set(
    acceptedFile
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean),
  );
  return changes.filter((change) => !accepted.has(change.path));
}
