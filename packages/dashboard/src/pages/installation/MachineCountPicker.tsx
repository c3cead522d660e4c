import { useId } from 'react';
import { useTranslation } from 'react-i18next';

/** The spec's choices for one installer or token: 1, 10, 50 machines, or unlimited (0). */
export const MACHINE_COUNTS = [1, 10, 50, 0] as const;

interface Props {
  legend: string;
  value: number;
  onChange(value: number): void;
  help?: string;
}

export function MachineCountPicker({ legend, value, onChange, help }: Props) {
  const { t } = useTranslation();
  const name = useId();
  return (
    <fieldset className="choice-group" aria-describedby={help ? `${name}-help` : undefined}>
      <legend>{legend}</legend>
      <div className="choices">
        {MACHINE_COUNTS.map((count) => {
          const id = `${name}-${count}`;
          return (
            <span key={count} className="choice">
              <input
                type="radio"
                id={id}
                name={name}
                value={count}
                checked={value === count}
                onChange={() => onChange(count)}
              />
              <label htmlFor={id}>
                {count === 0
                  ? t('installation.unlimited')
                  : count === 1
                    ? t('installation.oneMachine')
                    : t('installation.machinesCount', { count })}
              </label>
            </span>
          );
        })}
      </div>
      {help && (
        <p id={`${name}-help`} className="help">
          {help}
        </p>
      )}
    </fieldset>
  );
}
