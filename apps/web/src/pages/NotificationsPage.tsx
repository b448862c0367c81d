import { api } from '../api/client';
import type { NotificationList } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction } from '../components/useAction';
import { useApi } from '../components/useApi';
import { useNotifications } from '../notifications';

/** What Portico told you: usage alerts, spend caps reached, payment problems; newest first. */
export function NotificationsPage() {
  const list = useApi(() => api.get<NotificationList>('/v1/notifications', { limit: 50 }), []);
  const { refresh } = useNotifications();
  const { error, run } = useAction();
  const markRead = async (id: string) => {
    if (await run(() => api.post(`/v1/notifications/${id}/read`))) {
      list.reload();
      refresh();
    }
  };
  return (
    <div className="narrow wide">
      <h1>Notifications</h1>
      <ErrorNotice error={list.error ?? error} />
      {list.data?.items.length === 0 && (
        <p className="empty">
          Nothing yet. Usage alerts and spend caps you set on a subscription&apos;s page notify you here.
        </p>
      )}
      <ul className="reviews">
        {list.data?.items.map((n) => (
          <li key={n.id} data-testid="notification" className={n.readAt ? 'read' : 'unread'}>
            <strong>{n.title}</strong>{' '}
            <span className="muted small">{new Date(n.createdAt).toLocaleString('en')}</span>
            <p>{n.body}</p>
            {!n.readAt && (
              <button type="button" className="link" onClick={() => void markRead(n.id)}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
