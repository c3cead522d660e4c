import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** A failed request in words the user can act on. */
export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  let text: string;
  if (error instanceof ApiError && error.code === 'network') text = t('errors.network');
  else if (error instanceof ApiError && error.code === 'forbidden') text = t('errors.forbidden');
  else {
    const message = error instanceof Error ? error.message : String(error);
    text = t('errors.generic', { message });
  }
  return (
    <p role="alert" className="notice notice-error">
      {text}
    </p>
  );
}

/** A polite announcement of what just happened ("Copied", "The token is revoked"). */
export function StatusMessage({ children }: { children: string | undefined }) {
  return (
    <p role="status" className={children ? 'notice notice-ok' : 'visually-hidden'}>
      {children ?? ''}
    </p>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" aria-busy="true">
      {t('app.loading')}
    </p>
  );
}
