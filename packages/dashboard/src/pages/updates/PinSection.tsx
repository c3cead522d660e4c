import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAgentVersions, usePin, useSavePin } from '../../api/queries';
import { ErrorMessage } from '../../components/Feedback';
import { useRole, useScope } from '../../session/session';

/** Holds the client's machines at one version (`PUT /api/agent-versions/pin`). */
export function PinSection({ onStatus }: { onStatus(text: string): void }) {
  const { t } = useTranslation();
  const { admin } = useRole();
  const { missing } = useScope();
  const pin = usePin(!missing);
  const save = useSavePin();
  const windows = useAgentVersions('windows');
  const linux = useAgentVersions('linux');
  const [choice, setChoice] = useState('');
  const ids = { heading: useId(), select: useId() };

  useEffect(() => setChoice(pin.data?.version ?? ''), [pin.data]);

  const versions = [
    ...new Set(
      [...(windows.data?.versions ?? []), ...(linux.data?.versions ?? [])].map(
        (version) => version.version,
      ),
    ),
  ];
  if (pin.data?.version && !versions.includes(pin.data.version)) versions.push(pin.data.version);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(choice === '' ? null : choice, {
      onSuccess: () => onStatus(t('updates.pinSaved')),
    });
  }

  return (
    <section className="card" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>{t('updates.pin')}</h2>
      <p>{t('updates.pinDesc')}</p>
      {missing ? (
        <p className="muted">{t('updates.pinNeedsClient')}</p>
      ) : (
        <form onSubmit={submit} className="form-row">
          <div className="field">
            <label htmlFor={ids.select}>{t('updates.pinVersion')}</label>
            <select
              id={ids.select}
              value={choice}
              disabled={!admin}
              onChange={(event) => setChoice(event.target.value)}
            >
              <option value="">{t('updates.pinNone')}</option>
              {versions.map((version) => (
                <option key={version} value={version}>
                  {version}
                </option>
              ))}
            </select>
          </div>
          {admin && (
            <div className="field-end">
              <button type="submit" disabled={save.isPending}>
                {save.isPending ? t('app.saving') : t('app.save')}
              </button>
            </div>
          )}
        </form>
      )}
      <ErrorMessage error={pin.error ?? save.error} />
    </section>
  );
}
