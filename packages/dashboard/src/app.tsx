import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { ClientsPage } from './pages/ClientsPage';
import { DocumentationPage } from './pages/DocumentationPage';
import { InstallationPage } from './pages/installation/InstallationPage';
import { LoginPage } from './pages/LoginPage';
import { MachinesPage } from './pages/MachinesPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { UsersPage } from './pages/UsersPage';
import { UpdatesPage } from './pages/updates/UpdatesPage';
import { useRole, useSession } from './session/session';

/** Paths are the spec's, under the server's /dashboard/ prefix. */
export function App() {
  return (
    <BrowserRouter basename="/dashboard">
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <SignedIn>
              <Layout />
            </SignedIn>
          }
        >
          <Route index element={<Navigate to="/machines" replace />} />
          <Route path="/machines" element={<MachinesPage />} />
          <Route path="/installation" element={<InstallationPage />} />
          <Route path="/documentation" element={<DocumentationPage />} />
          <Route path="/admin/updates" element={<UpdatesPage />} />
          <Route
            path="/admin/clients"
            element={
              <SuperAdmin>
                <ClientsPage />
              </SuperAdmin>
            }
          />
          <Route path="/admin/users" element={<UsersPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}

function SignedIn({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') {
    return (
      <p className="loading" aria-busy="true">
        {t('app.loading')}
      </p>
    );
  }
  if (status === 'signed-out') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return children;
}

function SuperAdmin({ children }: { children: ReactNode }) {
  return useRole().superAdmin ? children : <NotFoundPage />;
}
