import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClients, useCreateClient } from '../api/queries';
import type { CreateClientResponse } from '../api/types';
import { CopyField } from '../components/CopyField';
import { ErrorMessage, Loading } from '../components/Feedback';
import { Modal } from '../components/Modal';
import { PageHeader } from '../components/PageHeader';
import { formatDateTime } from '../format';
import { useSession } from '../session/session';

/** Super-admins create clients; the new administrator's password is shown once, alone. */
export function ClientsPage() {
  const { t, i18n } = useTranslation();
  const clients = useClients();
  const create = useCreateClient();
  const { clientId, setClientId } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [created, setCreated] = useState<CreateClientResponse>();
  const ids = { heading: useId(), name: useId(), email: useId() };
  const language = i18n.resolvedLanguage ?? 'en';
  const list = clients.data?.clients ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), admin_email: email.trim() },
      {
        onSuccess: (answer) => {
          setCreated(answer);
          setName('');
          setEmail('');
        },
      },
    );
  }

  return (
    <section className="page stack-lg">
      <PageHeader title={t('clients.title')}>
        <p>{t('clients.intro')}</p>
      </PageHeader>

      <section className="card" aria-labelledby={ids.heading}>
        <h2 id={ids.heading}>{t('clients.create')}</h2>
        <form onSubmit={submit} className="form-row">
          <div className="field">
            <label htmlFor={ids.name}>{t('clients.name')}</label>
            <input
              id={ids.name}
              required
              maxLength={200}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.email}>{t('clients.adminEmail')}</label>
            <input
              id={ids.email}
              type="email"
              required
              maxLength={320}
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </div>
          <div className="field-end">
            <button type="submit" disabled={create.isPending}>
              {t('clients.submit')}
            </button>
          </div>
        </form>
        <ErrorMessage error={create.error} />
      </section>

      <ErrorMessage error={clients.error} />
      {clients.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <p className="empty">{t('clients.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">{t('clients.tableLabel')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('clients.name')}</th>
                <th scope="col">{t('clients.id')}</th>
                <th scope="col">{t('clients.created')}</th>
                <th scope="col">{t('machines.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((client) => (
                <tr key={client.id}>
                  <th scope="row">{client.name}</th>
                  <td className="mono">{client.id}</td>
                  <td>{formatDateTime(client.created_at, language)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={t('clients.selectLabel', { name: client.name })}
                      aria-pressed={clientId === client.id}
                      onClick={() => setClientId(client.id)}
                    >
                      {t('clients.select')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {created && (
        <Modal
          open
          title={t('clients.createdTitle', { name: created.client.name })}
          onClose={() => setCreated(undefined)}
          actions={
            <button type="button" onClick={() => setCreated(undefined)}>
              {t('clients.done')}
            </button>
          }
        >
          <p>{t('clients.createdText')}</p>
          <dl className="facts">
            <div>
              <dt>{t('clients.adminEmail')}</dt>
              <dd>{created.admin.email}</dd>
            </div>
          </dl>
          <CopyField label={t('clients.password')} value={created.admin_password} />
        </Modal>
      )}
    </section>
  );
}
