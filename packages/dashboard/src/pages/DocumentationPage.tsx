import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useLatestVersion, useSettings } from '../api/queries';
import { Badge } from '../components/Badge';
import { CopyField } from '../components/CopyField';
import { PageHeader } from '../components/PageHeader';
import { formatBytes } from '../format';
import { linuxInstallCommand, windowsInstallCommand } from './installation/commands';

/** The spec's Quick Install page, led by the banner that points to the mTLS installers. */
export function DocumentationPage() {
  const { t } = useTranslation();
  const settings = useSettings();
  const publicUrl = settings.data?.public_url ?? window.location.origin;
  const placeholder = t('quickInstall.tokenPlaceholder');
  const ids = { banner: useId(), one: useId(), two: useId(), three: useId(), security: useId() };

  return (
    <section className="page stack-lg">
      <PageHeader title={t('quickInstall.title')}>
        <p>{t('quickInstall.intro')}</p>
      </PageHeader>

      <aside className="mtls-banner" aria-labelledby={ids.banner}>
        <Badge tone="new">{t('app.newBadge')}</Badge>
        <div>
          <h2 id={ids.banner}>{t('installation.mtlsRecommended')}</h2>
          <p>{t('installation.mtlsRecommendedDesc')}</p>
          <Link to="/installation" className="button">
            {t('quickInstall.goToInstallation')}
          </Link>
        </div>
      </aside>

      <section className="card" aria-labelledby={ids.one}>
        <h2 id={ids.one}>{t('quickInstall.option1')}</h2>
        <p>{t('quickInstall.option1Desc')}</p>
        <WindowsExeLink />
        <p className="note">{t('quickInstall.option1Note')}</p>
      </section>

      <section className="card" aria-labelledby={ids.two}>
        <h2 id={ids.two}>{t('quickInstall.option2')}</h2>
        <CopyField
          label={t('quickInstall.option2Desc')}
          value={windowsInstallCommand(publicUrl, placeholder, false)}
        />
      </section>

      <section className="card" aria-labelledby={ids.three}>
        <h2 id={ids.three}>{t('quickInstall.option3')}</h2>
        <CopyField
          label={t('quickInstall.option3Desc')}
          value={linuxInstallCommand(publicUrl, placeholder, false)}
        />
      </section>

      <section className="card" aria-labelledby={ids.security}>
        <h2 id={ids.security}>{t('quickInstall.security')}</h2>
        <ul>
          <li>{t('quickInstall.securityNotes.tokens')}</li>
          <li>{t('quickInstall.securityNotes.certificates')}</li>
          <li>{t('quickInstall.securityNotes.revoke')}</li>
          <li>{t('quickInstall.securityNotes.argv')}</li>
        </ul>
      </section>
    </section>
  );
}

/** The generic Windows build of the stable channel, straight from the downloads. */
function WindowsExeLink() {
  const { t, i18n } = useTranslation();
  const latest = useLatestVersion('stable', 'windows', 'amd64');
  if (latest.isPending) return null;
  if (!latest.data) return <p className="muted">{t('quickInstall.noExe')}</p>;
  const size = formatBytes(latest.data.file_size_bytes, i18n.resolvedLanguage ?? 'en');
  return (
    <p>
      <a className="button" href={latest.data.download_url} download>
        {t('quickInstall.downloadExe')}
      </a>{' '}
      <span className="muted">
        v{latest.data.version} · {size}
      </span>
    </p>
  );
}
