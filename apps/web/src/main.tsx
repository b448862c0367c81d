import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link, Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './components/Layout';
import { RequireAccount } from './components/RequireAccount';
import { AccountPage } from './pages/AccountPage';
import { AdminPage } from './pages/AdminPage';
import { ApiDetailPage } from './pages/ApiDetailPage';
import { DashboardPage } from './pages/DashboardPage';
import { MarketplacePage } from './pages/MarketplacePage';
import { NotificationsPage } from './pages/NotificationsPage';
import { NewApiPage, ProviderApiPage } from './pages/ProviderApiPage';
import { ProviderPage } from './pages/ProviderPage';
import { SignInPage } from './pages/SignInPage';
import { SubscriptionPage } from './pages/SubscriptionPage';
import { NotificationsProvider } from './notifications';
import { SessionProvider } from './session';
import { api } from './api/client';
import type { Currency } from './api/types';
import { setCurrencyTable } from './format';
import './styles.css';

// every amount is shown with the api's minor-unit digits, so they are read before the first render; if the
// api cannot be reached the pages say so themselves, and amounts fall back to the browser's digits
try {
  setCurrencyTable(await api.get<Currency[]>('/v1/currencies'));
} catch (error) {
  console.warn('GET /v1/currencies failed; amounts use the browser’s currency digits', error);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <BrowserRouter>
        <NotificationsProvider>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<MarketplacePage />} />
              <Route path="apis/:slug" element={<ApiDetailPage />} />
              <Route path="login" element={<SignInPage mode="login" />} />
              <Route path="signup" element={<SignInPage mode="signup" />} />
              <Route
                path="dashboard"
                element={
                  <RequireAccount>
                    <DashboardPage />
                  </RequireAccount>
                }
              />
              <Route
                path="subscriptions/:id"
                element={
                  <RequireAccount>
                    <SubscriptionPage />
                  </RequireAccount>
                }
              />
              <Route path="subscriptions" element={<Navigate to="/dashboard" replace />} />
              <Route
                path="account"
                element={
                  <RequireAccount>
                    <AccountPage />
                  </RequireAccount>
                }
              />
              <Route
                path="notifications"
                element={
                  <RequireAccount>
                    <NotificationsPage />
                  </RequireAccount>
                }
              />
              <Route
                path="admin"
                element={
                  <RequireAccount>
                    <AdminPage />
                  </RequireAccount>
                }
              />
              <Route
                path="provider/apis/new"
                element={
                  <RequireAccount>
                    <NewApiPage />
                  </RequireAccount>
                }
              />
              <Route
                path="provider/apis/:id"
                element={
                  <RequireAccount>
                    <ProviderApiPage />
                  </RequireAccount>
                }
              />
              {['provider', 'provider/payouts'].map((path) => (
                <Route
                  key={path}
                  path={path}
                  element={
                    <RequireAccount>
                      <ProviderPage />
                    </RequireAccount>
                  }
                />
              ))}
              <Route
                path="*"
                element={
                  <div className="empty">
                    <h1>Nothing here</h1>
                    <p>
                      This page does not exist. <Link to="/">Back to the marketplace</Link>
                    </p>
                  </div>
                }
              />
            </Route>
          </Routes>
        </NotificationsProvider>
      </BrowserRouter>
    </SessionProvider>
  </StrictMode>,
);
