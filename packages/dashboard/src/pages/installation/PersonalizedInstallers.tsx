import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { downloadFile } from '../../api/download';
import { useActiveWindowsToken } from '../../api/queries';
import { Badge } from '../../components/Badge';
import { CopyField } from '../../components/CopyField';
import { Countdown } from '../../components/Countdown';
import { ErrorMessage, StatusMessage } from '../../components/Feedback';
import { useScope } from '../../session/session';
import { LINUX_PERSONALIZED_RUN } from './commands';
import { MachineCountPicker } from './MachineCountPicker';

/** What the spec's frontend names a download whose answer carries no file name. */
const FALLBACK_NAMES = {
  windows: 'optralis-agent-setup.exe',
  linux: 'install-optralis-agent.sh',
};

/** Runs one download at a time and says what was saved. */
function useDownload() {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();

  async function run(path: string, query: Record<string, string | number | null>, name: string) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const file = await downloadFile(path, query, name);
      setSaved(t('installation.downloaded', { file }));
      // The installer carries a new token: the lists and the progress change.
      void queries.invalidateQueries({ queryKey: ['tokens'] });
      void queries.invalidateQueries({ queryKey: ['windows-active'] });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return { run, busy, error, saved };
}

export function PersonalizedInstallers({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="stack">
      <div>
        <h2 id={headingId}>{t('installation.personalizedInstaller')}</h2>
        <p>{t('installation.personalizedInstallerDesc')}</p>
      </div>
      <div className="cards">
        <WindowsInstaller canWrite={canWrite} />
        <LinuxInstaller canWrite={canWrite} />
      </div>
    </section>
  );
}

function WindowsInstaller({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const { clientId, missing } = useScope();
  const [count, setCount] = useState(1);
  const download = useDownload();
  const headingId = useId();

  return (
    <article className="card card-accent" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {t('installation.windowsInstaller')} <Badge tone="new">{t('app.newBadge')}</Badge>
      </h3>
      <p>{t('installation.windowsInstallerDesc')}</p>
      <MachineCountPicker
        legend={t('installation.machineCount')}
        value={count}
        onChange={setCount}
        help={t('installation.machineCountHelp')}
      />
      <button
        type="button"
        disabled={!canWrite || missing || download.busy}
        onClick={() =>
          void download.run(
            '/api/installer/windows',
            { max_usage: count, client_id: clientId },
            FALLBACK_NAMES.windows,
          )
        }
      >
        {download.busy ? t('installation.downloading') : t('installation.downloadWindows')}
      </button>
      <StatusMessage>{download.saved}</StatusMessage>
      <ErrorMessage error={download.error} />
      {!missing && <MassDeploymentProgress />}
    </article>
  );
}

/** The spec's live "X/N machines installées" of the newest Windows mass-deployment installer. */
function MassDeploymentProgress() {
  const { t } = useTranslation();
  const active = useActiveWindowsToken(true);
  const labelId = useId();
  const token = active.data?.token;
  if (active.isPending) return null;
  if (active.error) return <ErrorMessage error={active.error} />;
  if (!token) return <p className="muted">{t('installation.massNone')}</p>;

  const unlimited = token.max_usage === 0;
  const text = unlimited
    ? t('installation.massProgressUnlimited', { used: token.usage_count })
    : t('installation.massProgress', { used: token.usage_count, max: token.max_usage });
  return (
    <div className="progress-block">
      <p id={labelId} className="field-label">
        {t('installation.massProgressLabel')}
      </p>
      {!unlimited && (
        <progress aria-labelledby={labelId} max={token.max_usage} value={token.usage_count} />
      )}
      <p className="progress-text">{text}</p>
      <p className="muted">
        {t('token.expiresIn')} <Countdown expiresAt={token.expires_at} />
      </p>
    </div>
  );
}

function LinuxInstaller({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const { clientId, missing } = useScope();
  const [count, setCount] = useState(1);
  const download = useDownload();
  const headingId = useId();
  const disabled = !canWrite || missing || download.busy;
  const get = (arch: 'amd64' | 'arm64') =>
    void download.run(
      `/api/installer/linux/${arch}`,
      { max_usage: count, client_id: clientId },
      FALLBACK_NAMES.linux,
    );

  return (
    <article className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('installation.linuxInstaller')}</h3>
      <p>{t('installation.linuxInstallerDesc')}</p>
      <MachineCountPicker
        legend={t('installation.machineCount')}
        value={count}
        onChange={setCount}
        help={t('installation.linuxMachineCountHelp')}
      />
      <div className="button-row">
        <button type="button" disabled={disabled} onClick={() => get('amd64')}>
          {t('installation.downloadLinuxX64')}
        </button>
        <button type="button" disabled={disabled} onClick={() => get('arm64')}>
          {t('installation.downloadLinuxArm64')}
        </button>
      </div>
      <StatusMessage>{download.saved}</StatusMessage>
      <ErrorMessage error={download.error} />
      <CopyField label={t('installation.linuxRun')} value={LINUX_PERSONALIZED_RUN} />
    </article>
  );
}
