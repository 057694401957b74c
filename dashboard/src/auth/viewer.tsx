import { createContext, useContext, type ReactNode } from 'react';
import { ViewerDocument, type Role } from '../api/generated';
import { useQuery } from '../api/use-query';

/** The token's role; undefined until the API has answered. */
const RoleContext = createContext<Role | undefined>(undefined);

/** Asks once per sign-in what the token may do; pages read it with `useCanManage`. */
export function ViewerProvider({ children }: { children: ReactNode }) {
  const viewer = useQuery(ViewerDocument, {});
  return <RoleContext.Provider value={viewer.status === 'done' ? viewer.data.viewer.role : undefined}>{children}</RoleContext.Provider>;
}

/**
 * Whether the token may change things (connect clusters, create credentials, delete). False
 * until the role is known, so a read-only token never sees an action flash in and out. The
 * API refuses a read-only token's mutations whatever the page shows: this only spares people
 * buttons that cannot work.
 */
export function useCanManage(): boolean {
  return useContext(RoleContext) === 'ADMIN';
}

/** The role as known so far, for pages that say why an action is missing. */
export function useRole(): Role | undefined {
  return useContext(RoleContext);
}

/** Renders its children for admin tokens only (hidden, not disabled, for the others). */
export function AdminOnly({ children }: { children: ReactNode }) {
  return useCanManage() ? <>{children}</> : null;
}
