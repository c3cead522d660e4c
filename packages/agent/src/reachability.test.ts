import { describe, expect, it } from 'vitest';
import { createLog } from './log';
import { Reachability } from './reachability';

function recorder() {
  const lines: string[] = [];
  let clock = Date.parse('2025-06-01T10:00:00.000Z');
  const log = createLog('debug', (line) => lines.push(line.replace(/^\S+ /, '').trimEnd()));
  const reachability = new Reachability(log, () => clock);
  return { lines, reachability, advance: (ms: number) => (clock += ms) };
}

const down = { kind: 'unreachable', reason: 'ECONNREFUSED: connect ECONNREFUSED' } as const;
const revoked = {
  kind: 'refused',
  code: 'machine_revoked',
  status: 401,
  message: 'this machine was revoked',
} as const;

describe('what the agent logs while the server is away or refuses it', () => {
  it('one line for the first failure, none for the attempts after it, one for the recovery', () => {
    const { lines, reachability, advance } = recorder();
    for (let attempt = 0; attempt < 30; attempt += 1) {
      reachability.failed(down);
      advance(10_000);
    }
    expect(reachability.consecutiveFailures).toBe(30);
    reachability.succeeded();
    reachability.succeeded();
    expect(lines).toEqual([
      'WARN cannot reach the server; retrying with backoff reason=ECONNREFUSED: connect ECONNREFUSED',
      'INFO connection to the server restored failed_attempts=30 down_seconds=300',
    ]);
    expect(reachability.consecutiveFailures).toBe(0);
  });

  it('says once that the server accepts the heartbeats, then nothing while they succeed', () => {
    const { lines, reachability } = recorder();
    reachability.succeeded();
    reachability.succeeded();
    reachability.succeeded();
    expect(lines).toEqual(['INFO the server accepts the heartbeats']);
  });

  it('names the server’s refusal once, not as an unreachable server', () => {
    const { lines, reachability, advance } = recorder();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      reachability.failed(revoked);
      advance(60_000);
    }
    reachability.succeeded();
    expect(lines).toEqual([
      'WARN server refused the heartbeat code=machine_revoked status=401 reason=this machine was revoked',
      'INFO the server accepts the heartbeat again failed_attempts=5 down_seconds=300',
    ]);
  });

  it('says so once more when the failure changes within one outage, and again after a recovery', () => {
    const { lines, reachability } = recorder();
    reachability.failed(down);
    reachability.failed(down);
    reachability.failed(revoked);
    reachability.failed(revoked);
    reachability.failed({ ...revoked, code: 'payload_too_large', status: 413, message: 'x' });
    reachability.succeeded();
    reachability.failed(down);
    expect(lines.map((line) => line.split(' reason=')[0])).toEqual([
      'WARN cannot reach the server; retrying with backoff',
      'WARN server refused the heartbeat code=machine_revoked status=401',
      'WARN server refused the heartbeat code=payload_too_large status=413',
      'INFO the server accepts the heartbeat again failed_attempts=5 down_seconds=0',
      'WARN cannot reach the server; retrying with backoff',
    ]);
  });
});
