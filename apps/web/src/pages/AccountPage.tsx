import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Account } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction } from '../components/useAction';
import { formatDate } from '../format';
import { useSession } from '../session';

/** The signed-in account: its name (on reviews, to providers, on new invoices) and its password. */
export function AccountPage() {
  const { account, accountChanged } = useSession();
  const [displayName, setDisplayName] = useState(account?.displayName ?? '');
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [done, setDone] = useState<string>();
  const profile = useAction();
  const password = useAction();
  if (!account) return null;

  const saveName = async (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    await profile.run(async () => {
      accountChanged(await api.patch<Account>('/v1/me', { displayName }));
      setDone('Name saved.');
    });
  };
  const changePassword = async (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    const body = { newPassword, ...(account.hasPassword ? { currentPassword } : {}) };
    if (await password.run(() => api.post('/v1/me/password', body))) {
      setCurrentPassword('');
      setNewPassword('');
      setDone('Password changed: every other session of this account has been signed out.');
    }
  };

  return (
    <div className="narrow wide">
      <h1>Your account</h1>
      <p className="muted">
        {account.email}
        {account.githubLogin && ` · GitHub ${account.githubLogin}`} · since {formatDate(account.createdAt)}
        {account.roles.length > 0 && ` · ${account.roles.join(', ')}`}
      </p>
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <form className="stack" onSubmit={(event) => void saveName(event)}>
        <label>
          Name{' '}
          <span className="muted">(on your reviews, to the providers you subscribe to, on new invoices)</span>
          <input
            required
            maxLength={100}
            value={displayName}
            onChange={(event) => setDisplayName(event.target.value)}
          />
        </label>
        <button type="submit" disabled={profile.busy}>
          Save name
        </button>
        <ErrorNotice error={profile.error} />
      </form>
      <form className="stack" onSubmit={(event) => void changePassword(event)}>
        <strong>
          {account.hasPassword ? 'Change your password' : 'Set a password (you sign in with GitHub now)'}
        </strong>
        {account.hasPassword && (
          <label>
            Current password
            <input
              type="password"
              required
              autoComplete="current-password"
              value={currentPassword}
              onChange={(event) => setCurrentPassword(event.target.value)}
            />
          </label>
        )}
        <label>
          New password <span className="muted">(at least 10 characters)</span>
          <input
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
            value={newPassword}
            onChange={(event) => setNewPassword(event.target.value)}
          />
        </label>
        <button type="submit" disabled={password.busy}>
          Change password
        </button>
        <ErrorNotice error={password.error} />
      </form>
    </div>
  );
}
