import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A command or secret to copy: shown in full (wrapped, never cut), with a Copy button. The
 * figure is named by its caption, so the command can be found by what it is for.
 */
export function CopyField({ label, value, help }: { label: string; value: string; help?: string }) {
  const { t } = useTranslation();
  const helpId = useId();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  }

  return (
    <figure className="copy-field" aria-describedby={help ? helpId : undefined}>
      <figcaption className="field-label">{label}</figcaption>
      <div className="copy-row">
        <pre>
          <code>{value}</code>
        </pre>
        <button type="button" onClick={copy} className="secondary">
          {state === 'copied' ? t('app.copied') : t('app.copy')}
        </button>
      </div>
      {help && (
        <p id={helpId} className="help">
          {help}
        </p>
      )}
      <span role="status" className="visually-hidden">
        {state === 'copied' ? t('app.copied') : state === 'failed' ? t('app.copyFailed') : ''}
      </span>
    </figure>
  );
}
