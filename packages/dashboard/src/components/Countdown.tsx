import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatRemaining } from '../format';

/** The current time, moving every `intervalMs`. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Time left until `expiresAt`, ticking every second; "Expired" once it is over. */
export function Countdown({ expiresAt }: { expiresAt: string }) {
  const { t } = useTranslation();
  const now = useNow(1000);
  const left = formatRemaining(Date.parse(expiresAt) - now);
  return (
    // A timer is not announced on every tick (its live region is off by default).
    <time role="timer" dateTime={expiresAt} className={left ? 'countdown' : 'countdown expired'}>
      {left ?? t('token.expired')}
    </time>
  );
}
