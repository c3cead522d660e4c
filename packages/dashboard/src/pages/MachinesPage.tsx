import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClients, useMachines, useRevokeMachine, useSetMachineChannel } from '../api/queries';
import type { Channel, Machine } from '../api/types';
import { Badge } from '../components/Badge';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useNow } from '../components/Countdown';
import { ErrorMessage, Loading, StatusMessage } from '../components/Feedback';
import { PageHeader } from '../components/PageHeader';
import { formatDateTime, formatRelative } from '../format';
import { useRole, useSession } from '../session/session';

export function MachinesPage() {
  const { t } = useTranslation();
  const machines = useMachines();
  const { admin, superAdmin } = useRole();
  const { clientId } = useSession();
  const showClient = superAdmin && clientId === null;
  const clients = useClients(showClient);
  const [revoking, setRevoking] = useState<Machine>();
  const [status, setStatus] = useState<string>();
  const revoke = useRevokeMachine();

  const list = machines.data?.machines ?? [];
  const clientNames = new Map(clients.data?.clients.map((client) => [client.id, client.name]));
  const online = list.filter((machine) => machine.online && !machine.revoked_at).length;

  return (
    <section className="page">
      <PageHeader title={t('machines.title')}>
        <p>{t('machines.intro')}</p>
      </PageHeader>
      <StatusMessage>{status}</StatusMessage>
      <ErrorMessage error={machines.error} />
      {machines.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <p className="empty">{t('machines.empty')}</p>
      ) : (
        <>
          <p className="muted">{t('machines.summary', { online, total: list.length })}</p>
          <div className="table-scroll">
            <table className="responsive">
              <caption className="visually-hidden">{t('machines.tableLabel')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('machines.hostname')}</th>
                  {showClient && <th scope="col">{t('machines.client')}</th>}
                  <th scope="col">{t('machines.os')}</th>
                  <th scope="col">{t('machines.arch')}</th>
                  <th scope="col">{t('machines.version')}</th>
                  <th scope="col">{t('machines.channel')}</th>
                  <th scope="col">{t('machines.lastSeen')}</th>
                  <th scope="col">{t('machines.state')}</th>
                  {admin && <th scope="col">{t('machines.actions')}</th>}
                </tr>
              </thead>
              <tbody>
                {list.map((machine) => (
                  <MachineRow
                    key={machine.id}
                    machine={machine}
                    clientName={showClient ? (clientNames.get(machine.client_id) ?? '') : undefined}
                    admin={admin}
                    onRevoke={() => {
                      revoke.reset();
                      setRevoking(machine);
                    }}
                    onStatus={setStatus}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <ConfirmDialog
        open={revoking !== undefined}
        title={t('machines.revokeTitle', { hostname: revoking?.hostname ?? '' })}
        text={t('machines.revokeText')}
        confirmLabel={t('machines.revokeConfirm')}
        busy={revoke.isPending}
        error={revoke.error}
        onClose={() => setRevoking(undefined)}
        onConfirm={() => {
          if (!revoking) return;
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              setStatus(t('machines.revokedDone', { hostname: revoking.hostname }));
              setRevoking(undefined);
            },
          });
        }}
      />
    </section>
  );
}

interface RowProps {
  machine: Machine;
  clientName: string | undefined;
  admin: boolean;
  onRevoke(): void;
  onStatus(text: string): void;
}

function MachineRow({ machine, clientName, admin, onRevoke, onStatus }: RowProps) {
  const { t, i18n } = useTranslation();
  const now = useNow(15_000);
  const setChannel = useSetMachineChannel();
  const language = i18n.resolvedLanguage ?? 'en';
  const revoked = machine.revoked_at !== null;
  // The inventory names the system ("Debian GNU/Linux 12"); before the first one, the platform.
  const platform =
    machine.platform === 'windows' || machine.platform === 'linux'
      ? t(`platforms.${machine.platform}`)
      : t('platforms.unknown');
  const os = machine.os ? `${machine.os.name} ${machine.os.version ?? ''}`.trim() : platform;

  return (
    <tr>
      <th scope="row" className="hostname">
        {machine.hostname}
      </th>
      {clientName !== undefined && <td data-label={t('machines.client')}>{clientName}</td>}
      <td data-label={t('machines.os')}>{os}</td>
      <td data-label={t('machines.arch')}>{machine.arch ?? t('app.none')}</td>
      <td data-label={t('machines.version')}>{machine.agent_version ?? t('app.none')}</td>
      <td data-label={t('machines.channel')}>
        {admin && !revoked ? (
          <select
            aria-label={t('machines.channelFor', { hostname: machine.hostname })}
            value={machine.channel}
            disabled={setChannel.isPending}
            onChange={(event) => {
              const channel = event.target.value as Channel;
              setChannel.mutate(
                { id: machine.id, channel },
                {
                  onSuccess: () =>
                    onStatus(
                      t('machines.channelChanged', {
                        hostname: machine.hostname,
                        channel: t(`channels.${channel}`),
                      }),
                    ),
                },
              );
            }}
          >
            <option value="stable">{t('channels.stable')}</option>
            <option value="beta">{t('channels.beta')}</option>
          </select>
        ) : (
          t(machine.channel === 'beta' ? 'channels.beta' : 'channels.stable')
        )}
        {setChannel.error && <ErrorMessage error={setChannel.error} />}
      </td>
      <td data-label={t('machines.lastSeen')}>
        {machine.last_seen ? (
          <time dateTime={machine.last_seen} title={formatDateTime(machine.last_seen, language)}>
            {formatRelative(machine.last_seen, now, language)}
          </time>
        ) : (
          t('machines.never')
        )}
      </td>
      <td data-label={t('machines.state')}>
        {revoked ? (
          <Badge tone="danger">{t('machines.revoked')}</Badge>
        ) : machine.online ? (
          <Badge tone="ok">{t('machines.online')}</Badge>
        ) : (
          <Badge tone="muted">{t('machines.offline')}</Badge>
        )}
      </td>
      {admin && (
        <td data-label={t('machines.actions')}>
          {!revoked && (
            <button
              type="button"
              className="danger small"
              onClick={onRevoke}
              aria-label={`${t('machines.revoke')} ${machine.hostname}`}
            >
              {t('machines.revoke')}
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
