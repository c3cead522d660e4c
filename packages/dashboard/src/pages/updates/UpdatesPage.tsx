import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ListedAgentVersion, Platform } from '../../api/types';
import { StatusMessage } from '../../components/Feedback';
import { PageHeader } from '../../components/PageHeader';
import { Tabs } from '../../components/Tabs';
import { useRole } from '../../session/session';
import { PinSection } from './PinSection';
import { RequirementsSection } from './RequirementsSection';
import { VersionModal } from './VersionModal';
import { VersionsTable } from './VersionsTable';

/** The spec's /dashboard/admin/updates: versions by platform, OS requirements, pins. */
export function UpdatesPage() {
  const { t } = useTranslation();
  const { superAdmin } = useRole();
  const [platform, setPlatform] = useState<Platform>('windows');
  const [editing, setEditing] = useState<ListedAgentVersion | 'new'>();
  const [status, setStatus] = useState<string>();

  return (
    <section className="page stack-lg">
      <PageHeader title={t('updates.title')}>
        <p>{t('updates.intro')}</p>
      </PageHeader>
      <StatusMessage>{status}</StatusMessage>
      <div className="toolbar">
        {superAdmin && (
          <button type="button" onClick={() => setEditing('new')}>
            {t('updates.add')}
          </button>
        )}
      </div>
      <Tabs<Platform>
        label={t('updates.tabsLabel')}
        tabs={[
          { id: 'windows', label: t('platforms.windows') },
          { id: 'linux', label: t('platforms.linux') },
        ]}
        selected={platform}
        onSelect={setPlatform}
      >
        <VersionsTable
          platform={platform}
          canEdit={superAdmin}
          onEdit={setEditing}
          onStatus={setStatus}
        />
      </Tabs>
      <RequirementsSection canEdit={superAdmin} onStatus={setStatus} />
      <PinSection onStatus={setStatus} />
      {editing !== undefined && (
        <VersionModal
          version={editing === 'new' ? undefined : editing}
          platform={platform}
          onClose={() => setEditing(undefined)}
          onSaved={(saved) => {
            setEditing(undefined);
            setPlatform(saved.platform);
            setStatus(t('updates.saved', { version: saved.version }));
          }}
        />
      )}
    </section>
  );
}
