import type { AgentLog } from './log';

/**
 * Why a request failed: the server (or the proxy before it) answered and refused it with a 4xx,
 * or there was no usable answer (no connection, a timeout, a 5xx, an answer too large).
 */
export type Failure =
  | { kind: 'refused'; code: string; status: number; message: string }
  | { kind: 'unreachable'; reason: string };

/**
 * Keeps the log quiet while the server is away or refuses the agent: the first failure of a
 * streak is logged, the attempts after it are only counted unless the failure changes (a server
 * that comes back but refuses the machine is said once more), and the recovery is logged once
 * with how long it took; the first heartbeat the server accepts is logged once. A refusal is
 * not "cannot reach the server": it names the server's code (`machine_revoked`,
 * `payload_too_large`…), which tells the operator what to do.
 */
export class Reachability {
  private failures = 0;
  private downSince = 0;
  private said: string | undefined;
  private accepted = false;

  constructor(
    private readonly log: AgentLog,
    private readonly now: () => number = Date.now,
  ) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  failed(failure: Failure): void {
    this.failures += 1;
    if (this.failures === 1) this.downSince = this.now();
    const key = failure.kind === 'refused' ? `refused:${failure.code}` : 'unreachable';
    if (key === this.said) return;
    this.said = key;
    if (failure.kind === 'refused') {
      this.log.warn('server refused the heartbeat', {
        code: failure.code,
        status: failure.status,
        reason: failure.message.slice(0, 200),
      });
      return;
    }
    this.log.warn('cannot reach the server; retrying with backoff', { reason: failure.reason });
  }

  succeeded(): void {
    const first = !this.accepted;
    this.accepted = true;
    if (this.failures === 0) {
      // Once, so that whoever starts the agent sees that it works, then silence.
      if (first) this.log.info('the server accepts the heartbeats');
      return;
    }
    const message = this.said?.startsWith('refused:')
      ? 'the server accepts the heartbeat again'
      : 'connection to the server restored';
    this.log.info(message, {
      failed_attempts: this.failures,
      down_seconds: Math.round((this.now() - this.downSince) / 1000),
    });
    this.failures = 0;
    this.said = undefined;
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
