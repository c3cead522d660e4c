import 'reflect-metadata';
import fs from 'node:fs';
import { renewResponseSchema } from '@optralis/protocol';
import * as x509 from '@peculiar/x509';
import { backoffDelay } from './backoff';
import { createKeyAndRequest } from './crypto';
import { AgentError } from './errors';
import { writeFileAtomic } from './files';
import type { AgentLog } from './log';
import { type AgentTransport, describeError, type TlsMaterial } from './transport';
import { storeTrustBundle } from './trust';

/** Renewal starts between 60 % and 70 % of the lifetime: about two thirds, spread over a fleet. */
const EARLIEST = 0.6;
const SPREAD = 0.1;
const MAX_RETRY_MS = 60 * 60_000;

export interface RenewalPlan {
  renewAt: number;
  notAfter: number;
}

export function planRenewal(
  certificatePem: string,
  random: () => number = Math.random,
): RenewalPlan {
  const certificate = new x509.X509Certificate(certificatePem);
  const notBefore = certificate.notBefore.getTime();
  const notAfter = certificate.notAfter.getTime();
  const fraction = EARLIEST + SPREAD * Math.min(1, Math.max(0, random()));
  return { renewAt: notBefore + (notAfter - notBefore) * fraction, notAfter };
}

/** The names of the next key and certificate while they are swapped into place. */
const next = (file: string) => `${file}.next`;

/**
 * Finishes a swap that a crash interrupted. Both `.next` files are complete before the first
 * rename (each was written through its own rename), and the key is renamed before the
 * certificate: whatever is left, renaming the rest in the same order gives a matching pair.
 */
export function completePendingSwap(certPath: string, keyPath: string): void {
  if (!fs.existsSync(next(certPath))) {
    fs.rmSync(next(keyPath), { force: true });
    return;
  }
  if (fs.existsSync(next(keyPath))) fs.renameSync(next(keyPath), keyPath);
  fs.renameSync(next(certPath), certPath);
}

export interface RenewalOptions {
  certPath: string;
  keyPath: string;
  caPath: string | undefined;
  log: AgentLog;
  /** The heartbeat interval: the first retry after a failed renewal waits about this long. */
  intervalMs: number;
  now?: () => number;
  random?: () => number;
}

/**
 * Renews the machine certificate over mutual TLS at about two thirds of its lifetime, or at once
 * when the server says so (CA rotation): a new key made here, a CSR, `POST /renew`, then key and
 * certificate replaced together. A failure is retried with backoff, never past the hour.
 */
export class CertificateRenewal {
  private plan: RenewalPlan;
  private forced = false;
  private failures = 0;
  private retryAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: RenewalOptions) {
    this.now = options.now ?? Date.now;
    this.plan = planRenewal(fs.readFileSync(options.certPath, 'utf8'), options.random);
  }

  get schedule(): RenewalPlan {
    return this.plan;
  }

  /** The server asked for a renewal (the certificate comes from a CA being retired). */
  requestNow(): void {
    this.forced = true;
  }

  due(): boolean {
    const now = this.now();
    return now >= this.retryAt && (this.forced || now >= this.plan.renewAt);
  }

  /** Renews; the new TLS material on success, undefined after a failure (logged, retried later). */
  async renew(transport: AgentTransport): Promise<TlsMaterial | undefined> {
    const made = await createKeyAndRequest('optralis-agent');
    let failure: string;
    try {
      const response = await transport.postJson('/renew', { csr: made.csrPem });
      if (response.status === 200) return this.install(response.body, made);
      const error = describeError(response);
      failure = `${error.code}: ${error.message}`;
    } catch (error) {
      failure =
        error instanceof AgentError
          ? error.message
          : `${(error as NodeJS.ErrnoException).code ?? 'network_error'}: ${(error as Error).message}`;
    }
    this.failures += 1;
    const wait = backoffDelay(this.failures, {
      baseMs: this.options.intervalMs,
      capMs: MAX_RETRY_MS,
    });
    this.retryAt = this.now() + wait;
    if (this.failures === 1) {
      this.options.log.warn('certificate renewal failed; retrying later', {
        reason: failure,
        expires: new Date(this.plan.notAfter).toISOString(),
      });
    }
    return undefined;
  }

  private install(body: unknown, made: { privateKeyPem: string; csrPem: string }): TlsMaterial {
    const parsed = renewResponseSchema.safeParse(body);
    if (!parsed.success) throw new AgentError('bad_response', 'the renewal answer is malformed');
    const certificatePem = parsed.data.certificate;
    const certificate = new x509.X509Certificate(certificatePem);
    const request = new x509.Pkcs10CertificateRequest(made.csrPem);
    const ownKey = Buffer.from(request.publicKey.rawData).equals(
      Buffer.from(certificate.publicKey.rawData),
    );
    if (!ownKey) throw new AgentError('bad_response', 'the renewed certificate is not for our key');
    if (certificate.notAfter.getTime() <= this.now()) {
      throw new AgentError('bad_response', 'the renewed certificate has already expired');
    }

    const { certPath, keyPath, caPath } = this.options;
    if (caPath && parsed.data.ca_cert) storeTrustBundle(caPath, parsed.data.ca_cert);
    writeFileAtomic(next(keyPath), made.privateKeyPem, 0o600);
    writeFileAtomic(next(certPath), certificatePem, 0o644);
    completePendingSwap(certPath, keyPath);

    this.plan = planRenewal(certificatePem, this.options.random);
    this.forced = false;
    this.failures = 0;
    this.retryAt = 0;
    this.options.log.info('certificate renewed', { not_after: certificate.notAfter.toISOString() });
    return {
      certificatePem,
      keyPem: made.privateKeyPem,
      caPem: caPath ? fs.readFileSync(caPath, 'utf8') : undefined,
    };
  }
}
