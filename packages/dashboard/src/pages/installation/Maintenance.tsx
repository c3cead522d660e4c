import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useSettings } from '../../api/queries';
import { CopyField } from '../../components/CopyField';
import { linuxUninstallCommand, WINDOWS_UNINSTALL_COMMAND } from './commands';

export function UpdateInstructions() {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('installation.update')}</h2>
      <p>{t('installation.updateDesc')}</p>
      <p>{t('installation.updateManual')}</p>
    </section>
  );
}

export function UninstallInstructions() {
  const { t } = useTranslation();
  const settings = useSettings();
  const headingId = useId();
  const publicUrl = settings.data?.public_url ?? window.location.origin;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('installation.uninstall')}</h2>
      <CopyField
        label={t('installation.uninstallLinux')}
        value={linuxUninstallCommand(publicUrl)}
      />
      <CopyField label={t('installation.uninstallWindows')} value={WINDOWS_UNINSTALL_COMMAND} />
      <p>{t('installation.uninstallNote')}</p>
    </section>
  );
}
