import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { backoffDelay } from './backoff';

export interface EnrollAnswer {
  status: number;
  text: string;
  /** `Retry-After` in seconds, when the server sent one. */
  retryAfterSeconds?: number;
}

/**
 * How often an enrollment is sent again when the server cannot be reached, times out, is busy
 * (429) or fails (5xx). Each attempt carries the same key and CSR, so the server's retry rule
 * (same token, hardware id and public key: the same machine, no extra use) makes it safe even
 * when an answer was lost after the server spent the token.
 */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const ENROLL_RETRY: RetryPolicy = { attempts: 5, baseMs: 1_000, capMs: 15_000 };

/** What the caller may tell the operator before an attempt is made again. */
export interface RetryNotice {
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Busy or failing, not refusing: worth asking again. Other 4xx answers are final. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * POSTs the enrollment, again on network errors, timeouts, 429 and 5xx, at most
 * `policy.attempts` times in all. Returns the last answer; throws the last network error.
 */
export async function postEnrollment(
  url: string,
  body: string,
  options: {
    policy?: RetryPolicy;
    onRetry?: (notice: RetryNotice) => void;
    /** The installer's CA, trusted next to the public roots for an https public URL. */
    pinnedCaPem?: string;
  } = {},
): Promise<EnrollAnswer> {
  const { policy = ENROLL_RETRY, onRetry, pinnedCaPem } = options;
  for (let attempt = 1; ; attempt += 1) {
    let reason: string;
    let delayMs = backoffDelay(attempt, { baseMs: policy.baseMs, capMs: policy.capMs });
    try {
      const answer = await postJson(url, body, pinnedCaPem);
      if (!retryable(answer.status) || attempt >= policy.attempts) return answer;
      reason = `HTTP ${answer.status}`;
      if (answer.retryAfterSeconds !== undefined) {
        delayMs = Math.min(policy.capMs, Math.max(delayMs, answer.retryAfterSeconds * 1000));
      }
    } catch (error) {
      if (attempt >= policy.attempts) throw error;
      reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    onRetry?.({ attempt: attempt + 1, attempts: policy.attempts, delayMs, reason });
    await (policy.sleep ?? sleepFor)(delayMs);
  }
}

/** An enrollment answer is a few kilobytes; a larger one is not from an Optralis server. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const ENROLL_TIMEOUT_MS = 60_000;

/**
 * POSTs JSON with node:http(s) rather than fetch: fetch's connector asks for TCP keep-alive
 * before the connection is made, which Wine (where the Windows build is tested) refuses.
 */
function postJson(url: string, body: string, pinnedCaPem?: string): Promise<EnrollAnswer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  // The public roots (a proxy with a public certificate) and the installer's own CA.
  const ca = pinnedCaPem && client === https ? { ca: [...tls.rootCertificates, pinnedCaPem] } : {};
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        ...ca,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: ENROLL_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) request.destroy(new Error('the answer is too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const retryAfter = Number(response.headers['retry-after']);
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            ...(Number.isFinite(retryAfter) && retryAfter >= 0
              ? { retryAfterSeconds: retryAfter }
              : {}),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => {
      request.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
