import type { ReactNode } from 'react';

type Tone = 'new' | 'ok' | 'muted' | 'warn' | 'danger' | 'info';

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
