import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useNotifications } from '../notifications';
import { useSession } from '../session';

export function Layout() {
  const { account, logOut } = useSession();
  const { unread } = useNotifications();
  const navigate = useNavigate();
  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand">
          Portico
        </Link>
        <nav>
          <NavLink to="/" end>
            Marketplace
          </NavLink>
          {account && <NavLink to="/dashboard">Dashboard</NavLink>}
          {account && <NavLink to="/provider">Provider</NavLink>}
          {account?.roles.includes('admin') && <NavLink to="/admin">Admin</NavLink>}
          <a href="/docs">API reference</a>
        </nav>
        <div className="account">
          {account === undefined ? null : account ? (
            <>
              <NavLink to="/notifications" data-testid="notifications-link">
                Notifications{unread > 0 && <span className="badge badge-count">{unread}</span>}
              </NavLink>
              <Link to="/account" className="muted" data-testid="signed-in-as" title="Your account">
                {account.displayName || account.email}
              </Link>
              <button
                type="button"
                className="link"
                onClick={() => {
                  void logOut().then(() => navigate('/'));
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <>
              <Link to="/login">Sign in</Link>
              <Link to="/signup" className="button">
                Sign up
              </Link>
            </>
          )}
        </div>
      </header>
      <main>
        <Outlet />
      </main>
    </>
  );
}
