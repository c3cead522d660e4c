import type { AgentLog } from './log';

/**
 * Keeps the log quiet while the server is away: the first failure is logged, the attempts after
 * it are only counted, and the recovery is logged once with how long it took.
 */
export class Reachability {
  private failures = 0;
  private downSince = 0;

  constructor(
    private readonly log: AgentLog,
    private readonly now: () => number = Date.now,
  ) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  failed(reason: string): void {
    this.failures += 1;
    if (this.failures > 1) return;
    this.downSince = this.now();
    this.log.warn('cannot reach the server; retrying with backoff', { reason });
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.log.info('connection to the server restored', {
      failed_attempts: this.failures,
      down_seconds: Math.round((this.now() - this.downSince) / 1000),
    });
    this.failures = 0;
  }
}

/** Logs a refusal once per kind until the same request succeeds again. */
export class OnceLog {
  private readonly seen = new Set<string>();

  constructor(private readonly log: AgentLog) {}

  warn(key: string, message: string, context: Record<string, unknown>): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log.warn(message, context);
  }

  clear(prefix: string): void {
    for (const key of this.seen) if (key.startsWith(prefix)) this.seen.delete(key);
  }
}
