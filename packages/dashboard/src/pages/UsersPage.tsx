import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClients, useCreateUser, useUsers } from '../api/queries';
import type { User } from '../api/types';
import { CopyField } from '../components/CopyField';
import { ErrorMessage, Loading } from '../components/Feedback';
import { Modal } from '../components/Modal';
import { PageHeader } from '../components/PageHeader';
import { formatDateTime } from '../format';
import { useRole, useScope } from '../session/session';

/** The dashboard users of a client; a new user's password is shown once. */
export function UsersPage() {
  const { t, i18n } = useTranslation();
  const users = useUsers();
  const create = useCreateUser();
  const { admin, superAdmin } = useRole();
  const { clientId, missing } = useScope();
  const clients = useClients(superAdmin && clientId === null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'client_admin' | 'read_only'>('read_only');
  const [created, setCreated] = useState<{ user: User; password: string }>();
  const ids = { heading: useId(), email: useId(), role: useId() };
  const language = i18n.resolvedLanguage ?? 'en';
  const clientNames = new Map(clients.data?.clients.map((client) => [client.id, client.name]));
  const list = users.data?.users ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (answer) => {
          setCreated(answer);
          setEmail('');
        },
      },
    );
  }

  return (
    <section className="page stack-lg">
      <PageHeader title={t('users.title')}>
        <p>{t('users.intro')}</p>
      </PageHeader>

      {admin && (
        <section className="card" aria-labelledby={ids.heading}>
          <h2 id={ids.heading}>{t('users.create')}</h2>
          {missing ? (
            <p className="notice notice-info">{t('users.needsClient')}</p>
          ) : (
            <form onSubmit={submit} className="form-row">
              <div className="field">
                <label htmlFor={ids.email}>{t('users.email')}</label>
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
              <div className="field">
                <label htmlFor={ids.role}>{t('users.role')}</label>
                <select
                  id={ids.role}
                  value={role}
                  onChange={(event) => setRole(event.target.value as typeof role)}
                >
                  <option value="read_only">{t('roles.read_only')}</option>
                  <option value="client_admin">{t('roles.client_admin')}</option>
                </select>
              </div>
              <div className="field-end">
                <button type="submit" disabled={create.isPending}>
                  {t('users.submit')}
                </button>
              </div>
            </form>
          )}
          <ErrorMessage error={create.error} />
        </section>
      )}

      <ErrorMessage error={users.error} />
      {users.isPending ? (
        <Loading />
      ) : (
        <div className="table-scroll">
          <table className="responsive">
            <caption className="visually-hidden">{t('users.tableLabel')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('users.email')}</th>
                <th scope="col">{t('users.role')}</th>
                {clientId === null && superAdmin && <th scope="col">{t('machines.client')}</th>}
                <th scope="col">{t('users.created')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((user) => (
                <tr key={user.id}>
                  <th scope="row">{user.email}</th>
                  <td data-label={t('users.role')}>{t(`roles.${user.role}`)}</td>
                  {clientId === null && superAdmin && (
                    <td data-label={t('machines.client')}>
                      {user.client_id ? (clientNames.get(user.client_id) ?? '') : t('app.none')}
                    </td>
                  )}
                  <td data-label={t('users.created')}>
                    {formatDateTime(user.created_at, language)}
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
          title={t('users.createdTitle', { email: created.user.email })}
          onClose={() => setCreated(undefined)}
          actions={
            <button type="button" onClick={() => setCreated(undefined)}>
              {t('clients.done')}
            </button>
          }
        >
          <p>{t('users.createdText')}</p>
          <CopyField label={t('users.password')} value={created.password} />
        </Modal>
      )}
    </section>
  );
}
