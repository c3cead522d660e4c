import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../components/PageHeader';
import { useRole, useScope } from '../../session/session';
import { ActiveTokens } from './ActiveTokens';
import { CurrentVersions } from './CurrentVersions';
import { UninstallInstructions, UpdateInstructions } from './Maintenance';
import { PersonalizedInstallers } from './PersonalizedInstallers';
import { TokenSection } from './TokenSection';

/** The spec's Installation page: versions, personalized installers, tokens, maintenance. */
export function InstallationPage() {
  const { t } = useTranslation();
  const { admin } = useRole();
  const { missing } = useScope();

  return (
    <section className="page stack-lg">
      <PageHeader title={t('installation.title')}>
        <p>{t('installation.intro')}</p>
      </PageHeader>
      {missing && <p className="notice notice-info">{t('scope.required')}</p>}
      {!admin && <p className="notice notice-info">{t('installation.readOnly')}</p>}
      <CurrentVersions />
      <PersonalizedInstallers canWrite={admin} />
      <div className="cards">
        <TokenSection
          platform="linux"
          title={t('installation.quickInstallLinux')}
          description={t('installation.quickInstallLinuxDesc')}
          buttonLabel={t('installation.generateLinuxToken')}
          canWrite={admin}
        />
        <TokenSection
          platform="windows"
          title={t('installation.windowsPowerShell')}
          description={t('installation.windowsPowerShellDesc')}
          buttonLabel={t('installation.generateToken')}
          canWrite={admin}
        />
      </div>
      <UpdateInstructions />
      <UninstallInstructions />
      <ActiveTokens canWrite={admin} />
    </section>
  );
}
