import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useRequirements, useSaveRequirements } from '../../api/queries';
import { ErrorMessage, Loading } from '../../components/Feedback';

/** The spec's "Versions OS supportées": the lowest Windows build and the refusal message. */
export function RequirementsSection({
  canEdit,
  onStatus,
}: {
  canEdit: boolean;
  onStatus(text: string): void;
}) {
  const { t } = useTranslation();
  const requirements = useRequirements();
  const save = useSaveRequirements();
  const [build, setBuild] = useState('');
  const [message, setMessage] = useState('');
  const ids = { heading: useId(), build: useId(), message: useId() };

  useEffect(() => {
    if (!requirements.data) return;
    setBuild(String(requirements.data.min_windows_version));
    setMessage(requirements.data.message ?? '');
  }, [requirements.data]);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      { min_windows_version: Number(build), message: message.trim() === '' ? null : message },
      { onSuccess: () => onStatus(t('updates.requirementsSaved')) },
    );
  }

  return (
    <section className="card" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>{t('updates.requirements')}</h2>
      <p>{t('updates.requirementsDesc')}</p>
      {requirements.isPending ? (
        <Loading />
      ) : (
        <form onSubmit={submit} className="stack">
          <div className="field">
            <label htmlFor={ids.build}>{t('updates.minWindowsVersion')}</label>
            <input
              id={ids.build}
              type="number"
              required
              min={1}
              max={1_000_000}
              step={1}
              readOnly={!canEdit}
              aria-describedby={`${ids.build}-help`}
              value={build}
              onChange={(event) => setBuild(event.target.value)}
            />
            <p id={`${ids.build}-help`} className="help">
              {t('updates.minWindowsHelp')}
            </p>
          </div>
          <div className="field">
            <label htmlFor={ids.message}>{t('updates.message')}</label>
            <textarea
              id={ids.message}
              rows={2}
              maxLength={1000}
              readOnly={!canEdit}
              value={message}
              onChange={(event) => setMessage(event.target.value)}
            />
          </div>
          <ErrorMessage error={requirements.error ?? save.error} />
          {canEdit && (
            <div>
              <button type="submit" disabled={save.isPending}>
                {save.isPending ? t('app.saving') : t('app.save')}
              </button>
            </div>
          )}
        </form>
      )}
    </section>
  );
}
