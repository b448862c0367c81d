import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router-dom';
import { api } from './api/client';
import type { NotificationList } from './api/types';
import { useSession } from './session';

interface NotificationsState {
  unread: number;
  refresh: () => void;
}

const NotificationsContext = createContext<NotificationsState>({ unread: 0, refresh: () => undefined });

/** The signed-in account's unread count, read again on every page change and when a page asks. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { account } = useSession();
  const { pathname } = useLocation();
  const [unread, setUnread] = useState(0);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!account) {
      setUnread(0);
      return;
    }
    let current = true;
    api
      .get<NotificationList>('/v1/notifications', { limit: 1, unread: 'true' })
      .then((list) => current && setUnread(list.unreadCount))
      .catch(() => undefined); // the count is a hint: the page itself shows errors
    return () => {
      current = false;
    };
  }, [account, pathname, generation]);
  const refresh = useCallback(() => setGeneration((n) => n + 1), []);
  const state = useMemo(() => ({ unread, refresh }), [unread, refresh]);
  return <NotificationsContext.Provider value={state}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): NotificationsState {
  return useContext(NotificationsContext);
}
