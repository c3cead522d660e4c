import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActiveTokens, useRevokeToken } from '../../api/queries';
import { Countdown } from '../../components/Countdown';
import { ErrorMessage, Loading, StatusMessage } from '../../components/Feedback';
import { formatDateTime } from '../../format';

export function ActiveTokens({ canWrite }: { canWrite: boolean }) {
  const { t, i18n } = useTranslation();
  const tokens = useActiveTokens();
  const revoke = useRevokeToken();
  const [status, setStatus] = useState<string>();
  const headingId = useId();
  const list = tokens.data?.tokens ?? [];
  const language = i18n.resolvedLanguage ?? 'en';

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('installation.activeTokens')}</h2>
      <p>{t('installation.activeTokensDesc')}</p>
      <StatusMessage>{status}</StatusMessage>
      <ErrorMessage error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <p className="empty">{t('installation.activeTokensEmpty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="responsive">
            <caption className="visually-hidden">{t('installation.tokensTableLabel')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('installation.tokenKind')}</th>
                <th scope="col">{t('installation.tokenPlatform')}</th>
                <th scope="col">{t('installation.tokenUsage')}</th>
                <th scope="col">{t('installation.tokenExpires')}</th>
                <th scope="col">{t('installation.tokenCreated')}</th>
                {canWrite && <th scope="col">{t('machines.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((token) => (
                <tr key={token.id}>
                  <td data-label={t('installation.tokenKind')}>
                    {t(`installation.kinds.${token.kind}`)}
                  </td>
                  <td data-label={t('installation.tokenPlatform')}>
                    {token.platform === 'any'
                      ? t('installation.anyPlatform')
                      : t(`platforms.${token.platform}`)}
                  </td>
                  <td data-label={t('installation.tokenUsage')}>
                    {token.max_usage === 0
                      ? t('installation.usageUnlimited', { used: token.usage_count })
                      : t('installation.usage', {
                          used: token.usage_count,
                          max: token.max_usage,
                        })}
                  </td>
                  <td data-label={t('installation.tokenExpires')}>
                    <Countdown expiresAt={token.expires_at} />
                  </td>
                  <td data-label={t('installation.tokenCreated')}>
                    {formatDateTime(token.created_at, language)}
                  </td>
                  {canWrite && (
                    <td data-label={t('machines.actions')}>
                      <button
                        type="button"
                        className="danger small"
                        disabled={revoke.isPending}
                        aria-label={t('installation.revokeTokenLabel', { id: token.id })}
                        onClick={() =>
                          revoke.mutate(token.id, {
                            onSuccess: () => setStatus(t('installation.tokenRevoked')),
                          })
                        }
                      >
                        {t('installation.revokeToken')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
