import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useSession } from '../session';

/** Pages that need an account: signed-out visitors go to sign-in and come back afterwards. */
export function RequireAccount({ children }: { children: ReactNode }) {
  const { account } = useSession();
  const location = useLocation();
  if (account === undefined) return <p className="muted">Loading…</p>;
  if (!account)
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}
