import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from './api/client';
import type { Account, Session, SignUpResponse } from './api/types';

interface SessionState {
  /** undefined while GET /v1/me is in flight, null when signed out. */
  account: Account | null | undefined;
  logIn: (email: string, password: string) => Promise<void>;
  signUp: (email: string, password: string, displayName?: string) => Promise<SignUpResponse>;
  logOut: () => Promise<void>;
  /** The account as the api answered a change to it (PATCH /v1/me). */
  accountChanged: (account: Account) => void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);

  const adopt = useCallback((session: { account: Account; csrfToken: string } | null) => {
    setCsrfToken(session?.csrfToken);
    setAccount(session?.account ?? null);
  }, []);

  useEffect(() => {
    api
      .get<Session>('/v1/me')
      .then(adopt)
      .catch((error: unknown) => {
        // 401: nobody is signed in; anything else is shown as signed out too (the pages say why on use)
        if (!(error instanceof ApiError) || error.status !== 401) console.warn('GET /v1/me failed', error);
        adopt(null);
      });
  }, [adopt]);

  const state = useMemo<SessionState>(
    () => ({
      account,
      async logIn(email, password) {
        adopt(await api.post<Session>('/v1/auth/login', { email, password }));
      },
      async signUp(email, password, displayName) {
        const created = await api.post<SignUpResponse>('/v1/auth/signup', {
          email,
          password,
          displayName: displayName || undefined,
        });
        adopt(created);
        return created;
      },
      async logOut() {
        await api.post('/v1/auth/logout');
        adopt(null);
      },
      accountChanged: setAccount,
    }),
    [account, adopt],
  );

  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside <SessionProvider>');
  return state;
}
