import type { BootstrapRequest, BootstrapResponse } from '@optralis/protocol';
import { sql, type Transaction } from 'kysely';
import { recordAudit } from '../audit/store';
import {
  EC_P256,
  exportPrivateKeyPem,
  issueMachineCertificate,
  publicKeyFingerprint,
  readCertificateRequest,
  subtle,
  x509,
} from '../ca';
import type { AppContext } from '../context';
import type { Database } from '../db/schema';
import { AppError, type ErrorCode, isAppError } from '../errors';
import { newId } from '../ids';
import {
  findActiveByHardwareId,
  findRetriedEnrollment,
  insertCertificate,
  insertMachine,
  type MachineRow,
  reenrollMachine,
} from '../machines/store';
import { hashToken } from '../tokens/secret';
import { tokenRefusal } from '../tokens/service';
import { findTokenByHash, spendTokenUse, type TokenRow } from '../tokens/store';
import { linuxBinaryUrl } from './binary-url';

interface MachineKey {
  publicKey: x509.PublicKey;
  /** Present only when the server made the key (request without a CSR). */
  privateKeyPem?: string;
}

export interface BootstrapMeta {
  sourceIp: string;
}

/**
 * Trades an install token for a machine certificate. Everything that can fail is checked and
 * every key and certificate is made before the transaction; inside it, only the token use, the
 * machine and the certificate are written, together or not at all.
 */
export async function bootstrap(
  ctx: AppContext,
  request: BootstrapRequest,
  meta: BootstrapMeta,
  attempt = 0,
): Promise<BootstrapResponse> {
  const now = ctx.clock();
  const hostname = request.hostname.toLowerCase();
  const token = await findTokenByHash(ctx.db, hashToken(request.token));
  if (!token || token.revoked_at !== null) {
    return refuse(ctx, token, token ? 'token_revoked' : 'token_invalid', meta, now);
  }

  const key = await machineKey(request.csr).catch((error: unknown) =>
    isAppError(error) ? refuse(ctx, token, error.code, meta, now, error) : Promise.reject(error),
  );
  const fingerprint = publicKeyFingerprint(key.publicKey);
  const hardwareId = request.hardware_id ?? null;

  // A retry of a request that already succeeded (same token, key and hardware id) gets the
  // same machine back, even when that success spent the token's last use.
  if (!key.privateKeyPem) {
    const retried = await findRetriedEnrollment(ctx.db, token.id, fingerprint, hardwareId);
    if (retried) {
      return response(ctx, token.client_id, retried.machine_id, retried.pem, undefined, request);
    }
  }

  const platform = request.platform ?? 'linux';
  const refusal = tokenRefusal(token, now, platform);
  if (refusal) return refuse(ctx, token, refusal, meta, now);

  const existing = hardwareId
    ? await sameHardware(ctx, token, hardwareId, request.hostname, meta, now)
    : undefined;
  const machineId = existing?.id ?? newId();
  const identity = { clientId: token.client_id, machineId };
  const issued = await issueMachineCertificate(ctx.ca, key.publicKey, identity, {
    now,
    lifetimeDays: ctx.config.certificateLifetimeDays,
  });

  const spent = await ctx.db.transaction().execute(async (trx) => {
    const appeared = hardwareId
      ? await anotherMachineAppeared(ctx, trx, token, hardwareId, existing)
      : undefined;
    if (appeared) return appeared.hostname.toLowerCase() === hostname ? 'again' : 'clone';
    if (!(await spendTokenUse(trx, token.id, now))) return false;
    const machine = { hostname: request.hostname, platform, arch: request.arch ?? null };
    if (existing) {
      await reenrollMachine(trx, machineId, { ...machine, token_id: token.id }, now);
    } else {
      await insertMachine(trx, {
        id: machineId,
        client_id: token.client_id,
        hardware_id: hardwareId,
        agent_version: null,
        channel: 'stable',
        token_id: token.id,
        enrolled_at: now.toISOString(),
        last_seen_at: null,
        revoked_at: null,
        ...machine,
      });
    }
    await insertCertificate(trx, {
      serial: issued.serial,
      machine_id: machineId,
      client_id: token.client_id,
      token_id: token.id,
      public_key_sha256: fingerprint,
      pem: issued.pem,
      not_before: issued.notBefore.toISOString(),
      not_after: issued.notAfter.toISOString(),
      issued_at: now.toISOString(),
      revoked_at: null,
    });
    return true;
  });

  // The same machine enrolled concurrently (an installer run twice): once more, as a reinstall.
  if (spent === 'again' && attempt === 0) return bootstrap(ctx, request, meta, 1);
  if (spent === 'again' || spent === 'clone') {
    return refuse(ctx, token, 'clone_suspected', meta, now);
  }
  if (!spent) {
    // Another request took the last use (or the token changed) between the check and the write.
    const latest = await findTokenByHash(ctx.db, token.token_hash);
    return refuse(ctx, token, tokenRefusal(latest, now, platform) ?? 'token_exhausted', meta, now);
  }

  await recordAudit(
    ctx.db,
    {
      clientId: token.client_id,
      actor: `token:${token.id}`,
      action: 'token.used',
      subject: token.id,
      details: {
        machine_id: machineId,
        hostname: request.hostname,
        serial: issued.serial,
        reinstall: existing !== undefined,
        source_ip: meta.sourceIp,
      },
    },
    now,
  );
  ctx.log.info({ machineId, clientId: token.client_id, tokenId: token.id }, 'machine enrolled');
  return response(ctx, token.client_id, machineId, issued.pem, key.privateKeyPem, request);
}

/**
 * Same hardware id as an active machine of the client. Same host name (DNS names are not case
 * sensitive): a reinstall, which reuses the machine. Another host name: a clone of a disk image
 * or a stolen identity; refused with `clone_suspected` rather than silently taken over.
 */
async function sameHardware(
  ctx: AppContext,
  token: TokenRow,
  hardwareId: string,
  hostname: string,
  meta: BootstrapMeta,
  now: Date,
): Promise<MachineRow | undefined> {
  const machines = await findActiveByHardwareId(ctx.db, token.client_id, hardwareId);
  if (machines.length === 0) return undefined;
  const wanted = hostname.toLowerCase();
  const same = machines.find((machine) => machine.hostname.toLowerCase() === wanted);
  if (same) return same;

  await recordAudit(
    ctx.db,
    {
      clientId: token.client_id,
      actor: `token:${token.id}`,
      action: 'machine.clone_suspected',
      subject: machines[0]?.id ?? null,
      details: { hostname, existing_hostname: machines[0]?.hostname, source_ip: meta.sourceIp },
    },
    now,
  );
  return refuse(ctx, token, 'clone_suspected', meta, now);
}

/**
 * Closes the gap between the hardware-id check above and this transaction: two first installs
 * of one hardware id at once must not both create a machine. Requests for the same client and
 * hardware id queue on a transaction-scoped lock (PostgreSQL; SQLite writes one transaction at a
 * time anyway), then look again.
 */
async function anotherMachineAppeared(
  ctx: AppContext,
  trx: Transaction<Database>,
  token: TokenRow,
  hardwareId: string,
  existing: MachineRow | undefined,
): Promise<MachineRow | undefined> {
  if (ctx.dialect === 'postgres') {
    const key = `${token.client_id}:${hardwareId}`;
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  }
  const machines = await findActiveByHardwareId(trx, token.client_id, hardwareId);
  return machines.find((machine) => machine.id !== existing?.id);
}

async function machineKey(csr: string | undefined): Promise<MachineKey> {
  if (csr) return { publicKey: await readCertificateRequest(csr) };
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  return { publicKey, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * Records why a bootstrap was refused (on the token's client, when the token is known) and
 * throws the refusal. Nothing was spent: refusals happen before or instead of the transaction.
 */
export async function refuse(
  ctx: AppContext,
  token: TokenRow | undefined,
  reason: ErrorCode,
  meta: BootstrapMeta,
  now: Date,
  error: AppError = new AppError(reason),
): Promise<never> {
  ctx.log.info({ reason, tokenId: token?.id, sourceIp: meta.sourceIp }, 'bootstrap refused');
  if (token) {
    await recordAudit(
      ctx.db,
      {
        clientId: token.client_id,
        actor: `token:${token.id}`,
        action: 'token.refused',
        subject: token.id,
        details: { reason, source_ip: meta.sourceIp },
      },
      now,
    );
  }
  throw error;
}

/** A request refused before it was read in full (bad field): audited on its token, if known. */
export async function refuseInvalidRequest(
  ctx: AppContext,
  tokenValue: unknown,
  error: AppError,
  meta: BootstrapMeta,
): Promise<never> {
  const token =
    typeof tokenValue === 'string' && tokenValue.length <= 256
      ? await findTokenByHash(ctx.db, hashToken(tokenValue))
      : undefined;
  return refuse(ctx, token, error.code, meta, ctx.clock(), error);
}

function response(
  ctx: AppContext,
  clientId: string,
  machineId: string,
  certificatePem: string,
  privateKeyPem: string | undefined,
  request: BootstrapRequest,
): BootstrapResponse {
  return {
    client_id: clientId,
    machine_id: machineId,
    certificate: certificatePem,
    ...(privateKeyPem ? { private_key: privateKeyPem } : {}),
    ca_cert: ctx.ca.certificatePem,
    api_url: ctx.urls.agentApiUrl,
    public_url: ctx.urls.publicUrl,
    binary_url: linuxBinaryUrl(ctx, request.arch ?? 'amd64', 'stable'),
    channel: 'stable',
  };
}
