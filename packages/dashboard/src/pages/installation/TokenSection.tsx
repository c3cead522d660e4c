import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActiveTokens, useCreateToken, useSettings } from '../../api/queries';
import type { CreatedInstallToken } from '../../api/types';
import { CopyField } from '../../components/CopyField';
import { Countdown } from '../../components/Countdown';
import { ErrorMessage } from '../../components/Feedback';
import { Modal } from '../../components/Modal';
import { useScope } from '../../session/session';
import { linuxInstallCommand, windowsInstallCommand } from './commands';
import { MachineCountPicker } from './MachineCountPicker';

interface TokenSectionProps {
  platform: 'linux' | 'windows';
  title: string;
  description: string;
  buttonLabel: string;
  canWrite: boolean;
}

/**
 * A one-line install: the administrator picks how long and for how many machines, generates a
 * token, and a dialog shows the command with the token, its live countdown and its usage.
 */
export function TokenSection({
  platform,
  title,
  description,
  buttonLabel,
  canWrite,
}: TokenSectionProps) {
  const { t } = useTranslation();
  const { missing } = useScope();
  const create = useCreateToken();
  const [ttl, setTtl] = useState('15');
  const [maxUsage, setMaxUsage] = useState(10);
  const [beta, setBeta] = useState(false);
  const [created, setCreated] = useState<{ token: CreatedInstallToken; beta: boolean }>();
  const ids = { ttl: useId(), beta: useId(), heading: useId() };

  // The form's own constraints (a whole number of minutes from 1 to 60) are checked by the
  // browser before this runs, and said next to the field.
  function generate(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { platform, ttl_minutes: Number(ttl), max_usage: maxUsage },
      { onSuccess: (token) => setCreated({ token, beta }) },
    );
  }

  return (
    <section className="card" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>{title}</h2>
      <p>{description}</p>
      <form onSubmit={generate} className="stack">
        <div className="form-row">
          <div className="field">
            <label htmlFor={ids.ttl}>{t('token.validity')}</label>
            <input
              id={ids.ttl}
              type="number"
              min={1}
              max={60}
              step={1}
              required
              value={ttl}
              aria-describedby={`${ids.ttl}-help`}
              onChange={(event) => setTtl(event.target.value)}
            />
            <p id={`${ids.ttl}-help`} className="help">
              {t('token.validityHelp')}
            </p>
          </div>
          <MachineCountPicker
            legend={t('token.maxUsage')}
            value={maxUsage}
            onChange={setMaxUsage}
          />
        </div>
        <div className="checkbox">
          <input
            id={ids.beta}
            type="checkbox"
            checked={beta}
            onChange={(event) => setBeta(event.target.checked)}
          />
          <label htmlFor={ids.beta}>{t('token.beta')}</label>
        </div>
        <ErrorMessage error={create.error} />
        <div>
          <button type="submit" disabled={!canWrite || missing || create.isPending}>
            {create.isPending ? t('token.generating') : buttonLabel}
          </button>
        </div>
      </form>
      {created && (
        <TokenDialog
          platform={platform}
          token={created.token}
          beta={created.beta}
          onClose={() => setCreated(undefined)}
        />
      )}
    </section>
  );
}

interface TokenDialogProps {
  platform: 'linux' | 'windows';
  token: CreatedInstallToken;
  beta: boolean;
  onClose(): void;
}

function TokenDialog({ platform, token, beta, onClose }: TokenDialogProps) {
  const { t } = useTranslation();
  const settings = useSettings();
  const tokens = useActiveTokens();
  const publicUrl = settings.data?.public_url ?? window.location.origin;
  const command =
    platform === 'linux'
      ? linuxInstallCommand(publicUrl, token.token, beta)
      : windowsInstallCommand(publicUrl, token.token, beta);
  const listed = tokens.data?.tokens.find((candidate) => candidate.id === token.id);
  const used = listed?.usage_count ?? token.usage_count;
  const usage =
    token.max_usage === 0
      ? t('installation.usageUnlimited', { used })
      : t('installation.usage', { used, max: token.max_usage });

  return (
    <Modal
      open
      wide
      title={platform === 'linux' ? t('token.titleLinux') : t('token.titleWindows')}
      onClose={onClose}
    >
      <CopyField
        label={t('token.commandLabel')}
        value={command}
        help={platform === 'linux' ? t('token.commandLinuxHelp') : t('token.commandWindowsHelp')}
      />
      <dl className="facts">
        <div>
          <dt>{t('token.expiresIn')}</dt>
          <dd>
            <Countdown expiresAt={token.expires_at} />
          </dd>
        </div>
        <div>
          <dt>{t('token.usage')}</dt>
          <dd>{usage}</dd>
        </div>
      </dl>
      <p className="notice notice-warn">{t('token.secret')}</p>
    </Modal>
  );
}
