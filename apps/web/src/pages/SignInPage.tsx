import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api/client';
import { ErrorNotice } from '../components/ErrorNotice';
import { safeNext } from '../navigation';
import { useSession } from '../session';

/** Sign in or sign up with email and password; GitHub sign-in goes through the api's OAuth routes. */
export function SignInPage({ mode }: { mode: 'login' | 'signup' }) {
  const { account, logIn, signUp } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  if (account && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'login') {
        await logIn(email, password);
        void navigate(next, { replace: true });
      } else {
        const created = await signUp(email, password, displayName);
        // the first key's secret is shown once, on the dashboard
        void navigate('/dashboard', { replace: true, state: { firstKey: created.key } });
      }
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  // the api's GitHub callback comes back here with ?error=<code> when sign-in with GitHub failed
  const githubError = params.get('error');
  const wrongPassword = error instanceof ApiError && error.status === 401;
  return (
    <div className="narrow">
      <h1>{mode === 'login' ? 'Sign in' : 'Create your account'}</h1>
      <form onSubmit={(event) => void submit(event)} className="stack">
        {mode === 'signup' && (
          <label>
            Name <span className="muted">(shown on your reviews)</span>
            <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
          />
        </label>
        <label>
          Password {mode === 'signup' && <span className="muted">(at least 10 characters)</span>}
          <input
            type="password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'One moment…' : mode === 'login' ? 'Sign in' : 'Sign up'}
        </button>
      </form>
      {githubError && !error && (
        <div className="notice notice-error" role="alert">
          <strong>Sign-in with GitHub did not work</strong>
          <p>
            {githubError === 'github_login_disabled'
              ? 'This marketplace has not set up GitHub sign-in: use your email and password.'
              : 'GitHub did not confirm who you are. Try again, or use your email and password.'}
          </p>
        </div>
      )}
      <ErrorNotice error={error} />
      {wrongPassword && mode === 'login' && (
        <p className="small">
          No account yet? <Link to={`/signup?next=${encodeURIComponent(next)}`}>Sign up</Link>.
        </p>
      )}
      <p className="small">
        <a href="/v1/auth/github">Continue with GitHub</a> (when the operator has set it up) ·{' '}
        {mode === 'login' ? (
          <Link to="/signup">Create an account</Link>
        ) : (
          <Link to="/login">I have an account</Link>
        )}
      </p>
    </div>
  );
}
