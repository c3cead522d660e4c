import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import { ErrorMessage } from '../components/Feedback';
import { LanguagePicker } from '../components/Layout';
import { PageHeader } from '../components/PageHeader';
import { useSession } from '../session/session';

export function LoginPage() {
  const { t } = useTranslation();
  const session = useSession();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const from = (location.state as { from?: string } | null)?.from ?? '/machines';
  if (session.status === 'signed-in') return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(email, password);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  const failed = error instanceof ApiError && error.code === 'login_failed';
  return (
    <main id="main" className="login">
      <div className="login-card">
        <div className="login-language">
          <LanguagePicker />
        </div>
        <PageHeader title={t('login.title')} />
        <p>{t('login.intro')}</p>
        {session.expired && (
          <p role="alert" className="notice notice-warn">
            {t('errors.sessionExpired')}
          </p>
        )}
        <form onSubmit={submit} className="stack">
          <div className="field">
            <label htmlFor="login-email">{t('login.email')}</label>
            <input
              id="login-email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">{t('login.password')}</label>
            <input
              id="login-password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </div>
          {failed ? (
            <p role="alert" className="notice notice-error">
              {t('login.failed')}
            </p>
          ) : (
            <ErrorMessage error={error} />
          )}
          <button type="submit" disabled={busy}>
            {busy ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
      </div>
    </main>
  );
}
