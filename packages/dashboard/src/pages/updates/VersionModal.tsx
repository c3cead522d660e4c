import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { useAvailableDownloads, useSaveVersion, type VersionFields } from '../../api/queries';
import type {
  Architecture,
  AvailableDownload,
  Channel,
  ListedAgentVersion,
  Platform,
} from '../../api/types';
import { ErrorMessage } from '../../components/Feedback';
import { Modal } from '../../components/Modal';

interface Props {
  /** Absent: a new version. */
  version: ListedAgentVersion | undefined;
  platform: Platform;
  onClose(): void;
  onSaved(saved: ListedAgentVersion): void;
}

interface Form {
  platform: Platform;
  architecture: Architecture;
  version: string;
  channel: Channel;
  checksum_sha256: string;
  file_size_bytes: string;
  download_url: string;
  is_active: boolean;
  rollout_percent: string;
  rollout_paused: boolean;
}

function initialForm(version: ListedAgentVersion | undefined, platform: Platform): Form {
  return {
    platform: version?.platform ?? platform,
    architecture: version?.architecture ?? 'amd64',
    version: version?.version ?? '',
    channel: version?.channel ?? 'stable',
    checksum_sha256: version?.checksum_sha256 ?? '',
    file_size_bytes: version ? String(version.file_size_bytes) : '',
    download_url: version?.download_url ?? '',
    is_active: version?.is_active ?? true,
    rollout_percent: String(version?.rollout_percent ?? 100),
    rollout_paused: version?.rollout_paused ?? false,
  };
}

/** The spec's create/edit modal, with "Import from server" filling it from a metadata file. */
export function VersionModal({ version, platform, onClose, onSaved }: Props) {
  const { t } = useTranslation();
  const [form, setForm] = useState(() => initialForm(version, platform));
  const [importing, setImporting] = useState(false);
  const save = useSaveVersion();
  const base = useId();
  const id = (field: string) => `${base}-${field}`;
  const set = <K extends keyof Form>(key: K, value: Form[K]) =>
    setForm((current) => ({ ...current, [key]: value }));

  const fieldError = save.error instanceof ApiError ? save.error.field : undefined;
  const invalid = (field: keyof VersionFields) =>
    fieldError === field
      ? { 'aria-invalid': true as const, 'aria-describedby': `${base}-error` }
      : {};

  function submit(event: FormEvent) {
    event.preventDefault();
    const fields: Partial<VersionFields> = {
      platform: form.platform,
      architecture: form.platform === 'windows' ? 'amd64' : form.architecture,
      version: form.version.trim(),
      channel: form.channel,
      checksum_sha256: form.checksum_sha256.trim().toLowerCase(),
      file_size_bytes: Number(form.file_size_bytes),
      download_url: form.download_url.trim(),
      is_active: form.is_active,
      rollout_percent: Number(form.rollout_percent),
      rollout_paused: form.rollout_paused,
    };
    save.mutate({ id: version?.id, fields }, { onSuccess: onSaved });
  }

  function use(download: AvailableDownload) {
    setForm((current) => ({
      ...current,
      platform: download.platform,
      architecture: download.architecture,
      version: download.version,
      channel: download.channel,
      checksum_sha256: download.checksum_sha256,
      file_size_bytes: String(download.file_size_bytes),
      download_url: download.download_url,
    }));
    setImporting(false);
  }

  const title = version
    ? t('updates.modalEdit', { version: version.version })
    : t('updates.modalCreate');
  return (
    <Modal
      open
      wide
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="secondary" onClick={onClose}>
            {t('app.cancel')}
          </button>
          <button type="submit" form={`${base}-form`} disabled={save.isPending}>
            {save.isPending ? t('app.saving') : t('app.save')}
          </button>
        </>
      }
    >
      <div className="import-box">
        <button type="button" className="secondary" onClick={() => setImporting((open) => !open)}>
          {t('updates.importFromServer')}
        </button>
        {importing && <ImportList platform={form.platform} onUse={use} />}
      </div>
      <form id={`${base}-form`} onSubmit={submit} className="form-grid">
        <div className="field">
          <label htmlFor={id('platform')}>{t('updates.platform')}</label>
          <select
            id={id('platform')}
            value={form.platform}
            onChange={(event) => set('platform', event.target.value as Platform)}
            {...invalid('platform')}
          >
            <option value="windows">{t('platforms.windows')}</option>
            <option value="linux">{t('platforms.linux')}</option>
          </select>
        </div>
        {form.platform === 'linux' && (
          <div className="field">
            <label htmlFor={id('architecture')}>{t('updates.architecture')}</label>
            <select
              id={id('architecture')}
              value={form.architecture}
              onChange={(event) => set('architecture', event.target.value as Architecture)}
              {...invalid('architecture')}
            >
              <option value="amd64">amd64</option>
              <option value="arm64">arm64</option>
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={id('version')}>{t('updates.version')}</label>
          <input
            id={id('version')}
            required
            maxLength={64}
            placeholder="1.2.0"
            value={form.version}
            onChange={(event) => set('version', event.target.value)}
            {...invalid('version')}
          />
        </div>
        <div className="field">
          <label htmlFor={id('channel')}>{t('updates.channel')}</label>
          <select
            id={id('channel')}
            value={form.channel}
            onChange={(event) => set('channel', event.target.value as Channel)}
            {...invalid('channel')}
          >
            <option value="stable">{t('channels.stable')}</option>
            <option value="beta">{t('channels.beta')}</option>
          </select>
        </div>
        <div className="field field-wide">
          <label htmlFor={id('checksum')}>{t('updates.checksum')}</label>
          <input
            id={id('checksum')}
            required
            pattern="[0-9a-fA-F]{64}"
            maxLength={64}
            spellCheck={false}
            className="mono"
            value={form.checksum_sha256}
            onChange={(event) => set('checksum_sha256', event.target.value)}
            {...invalid('checksum_sha256')}
          />
        </div>
        <div className="field">
          <label htmlFor={id('size')}>{t('updates.fileSize')}</label>
          <input
            id={id('size')}
            type="number"
            required
            min={1}
            step={1}
            value={form.file_size_bytes}
            onChange={(event) => set('file_size_bytes', event.target.value)}
            {...invalid('file_size_bytes')}
          />
        </div>
        <div className="field field-wide">
          <label htmlFor={id('url')}>{t('updates.downloadUrl')}</label>
          <input
            id={id('url')}
            type="url"
            required
            maxLength={2048}
            value={form.download_url}
            onChange={(event) => set('download_url', event.target.value)}
            {...invalid('download_url')}
          />
        </div>
        <div className="field">
          <label htmlFor={id('rollout')}>{t('updates.rolloutPercent')}</label>
          <input
            id={id('rollout')}
            type="number"
            required
            min={0}
            max={100}
            step={1}
            aria-describedby={`${id('rollout')}-help`}
            value={form.rollout_percent}
            onChange={(event) => set('rollout_percent', event.target.value)}
            {...invalid('rollout_percent')}
          />
          <p id={`${id('rollout')}-help`} className="help">
            {t('updates.rolloutHelp')}
          </p>
        </div>
        <div className="field stack-sm">
          <div className="checkbox">
            <input
              id={id('active')}
              type="checkbox"
              checked={form.is_active}
              onChange={(event) => set('is_active', event.target.checked)}
            />
            <label htmlFor={id('active')}>{t('updates.isActive')}</label>
          </div>
          <div className="checkbox">
            <input
              id={id('paused')}
              type="checkbox"
              checked={form.rollout_paused}
              onChange={(event) => set('rollout_paused', event.target.checked)}
            />
            <label htmlFor={id('paused')}>{t('updates.rolloutPaused')}</label>
          </div>
        </div>
      </form>
      <div id={`${base}-error`}>
        <ErrorMessage error={save.error} />
      </div>
    </Modal>
  );
}

function ImportList({
  platform,
  onUse,
}: {
  platform: Platform;
  onUse(download: AvailableDownload): void;
}) {
  const { t } = useTranslation();
  const available = useAvailableDownloads(true);
  const headingId = useId();
  if (available.isPending) return <p aria-busy="true">{t('updates.importing')}</p>;
  if (available.error) return <ErrorMessage error={available.error} />;
  const candidates = available.data.downloads.filter(
    (download) => download.platform === platform && !download.imported,
  );
  return (
    <section aria-labelledby={headingId} className="stack-sm">
      <h3 id={headingId}>{t('updates.importTitle')}</h3>
      {candidates.length === 0 ? (
        <p className="muted">{t('updates.importNone')}</p>
      ) : (
        <ul className="import-list">
          {candidates.map((download) => (
            <li key={`${download.source}-${download.filename}`}>
              <button type="button" className="secondary small" onClick={() => onUse(download)}>
                {t('updates.importUse', { file: download.filename })}
              </button>{' '}
              <span className="muted">
                {download.version} · {t(`channels.${download.channel}`)} · {download.architecture}
              </span>
            </li>
          ))}
        </ul>
      )}
      {available.data.errors.length > 0 && (
        <div className="notice notice-warn">
          <p>{t('updates.importErrors')}</p>
          <ul>
            {available.data.errors.map((error) => (
              <li key={error.file}>
                <code>{error.file}</code>: {error.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
