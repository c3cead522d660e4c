import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAgentVersions, useDeleteVersion, useSaveVersion } from '../../api/queries';
import type { ListedAgentVersion, Platform } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorMessage, Loading } from '../../components/Feedback';
import { formatBytes, formatDateTime } from '../../format';

interface Props {
  platform: Platform;
  canEdit: boolean;
  onEdit(version: ListedAgentVersion): void;
  onStatus(text: string): void;
}

/** The versions of one platform with the spec's statistics and the rollout controls. */
export function VersionsTable({ platform, canEdit, onEdit, onStatus }: Props) {
  const { t, i18n } = useTranslation();
  const versions = useAgentVersions(platform);
  const save = useSaveVersion();
  const remove = useDeleteVersion();
  const [deleting, setDeleting] = useState<ListedAgentVersion>();
  const language = i18n.resolvedLanguage ?? 'en';
  const list = versions.data?.versions ?? [];
  const linux = platform === 'linux';

  const patch = (version: ListedAgentVersion, fields: Partial<ListedAgentVersion>) =>
    save.mutate(
      { id: version.id, fields },
      { onSuccess: () => onStatus(t('updates.saved', { version: version.version })) },
    );

  if (versions.isPending) return <Loading />;
  return (
    <>
      <ErrorMessage error={versions.error ?? save.error} />
      {list.length === 0 ? (
        <p className="empty">{t('updates.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="responsive">
            <caption className="visually-hidden">
              {t('updates.tableLabel', { platform: t(`platforms.${platform}`) })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('updates.version')}</th>
                <th scope="col">{t('updates.channel')}</th>
                {linux && <th scope="col">{t('updates.architecture')}</th>}
                <th scope="col">{t('updates.machines')}</th>
                <th scope="col">{t('updates.created')}</th>
                <th scope="col">{t('updates.size')}</th>
                <th scope="col">{t('updates.status')}</th>
                <th scope="col">{t('updates.rollout')}</th>
                {canEdit && <th scope="col">{t('updates.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((version) => (
                <tr key={version.id}>
                  <th scope="row">{version.version}</th>
                  <td data-label={t('updates.channel')}>{t(`channels.${version.channel}`)}</td>
                  {linux && <td data-label={t('updates.architecture')}>{version.architecture}</td>}
                  <td className="number" data-label={t('updates.machines')}>
                    {version.machine_count}
                  </td>
                  <td data-label={t('updates.created')}>
                    {formatDateTime(version.created_at, language)}
                  </td>
                  <td data-label={t('updates.size')}>
                    {formatBytes(version.file_size_bytes, language)}
                  </td>
                  <td data-label={t('updates.status')}>
                    {version.is_active ? (
                      <Badge tone="ok">{t('updates.active')}</Badge>
                    ) : (
                      <Badge tone="muted">{t('updates.inactive')}</Badge>
                    )}{' '}
                    {version.rollout_paused && <Badge tone="warn">{t('updates.paused')}</Badge>}
                  </td>
                  <td data-label={t('updates.rollout')}>
                    <span className="rollout">
                      <meter min={0} max={100} value={version.rollout_percent} aria-hidden="true" />
                      {version.rollout_percent} %
                    </span>
                  </td>
                  {canEdit && (
                    <td data-label={t('updates.actions')}>
                      <div className="button-row">
                        <button
                          type="button"
                          className="secondary small"
                          aria-label={t('updates.editLabel', { version: version.version })}
                          onClick={() => onEdit(version)}
                        >
                          {t('updates.edit')}
                        </button>
                        <button
                          type="button"
                          className="secondary small"
                          disabled={save.isPending}
                          onClick={() =>
                            patch(version, { rollout_paused: !version.rollout_paused })
                          }
                        >
                          {version.rollout_paused ? t('updates.resume') : t('updates.pause')}
                        </button>
                        <button
                          type="button"
                          className="secondary small"
                          disabled={save.isPending}
                          onClick={() => patch(version, { is_active: !version.is_active })}
                        >
                          {version.is_active ? t('updates.deactivate') : t('updates.activate')}
                        </button>
                        <button
                          type="button"
                          className="danger small"
                          aria-label={t('updates.deleteLabel', { version: version.version })}
                          onClick={() => {
                            remove.reset();
                            setDeleting(version);
                          }}
                        >
                          {t('updates.delete')}
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={deleting !== undefined}
        title={t('updates.deleteTitle', { version: deleting?.version ?? '' })}
        text={t('updates.deleteText')}
        confirmLabel={t('updates.delete')}
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(undefined)}
        onConfirm={() => {
          if (!deleting) return;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              onStatus(t('updates.deleted', { version: deleting.version }));
              setDeleting(undefined);
            },
          });
        }}
      />
    </>
  );
}
