import type { BootstrapRequest, BootstrapResponse } from '@optralis/protocol';
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
import { AppError } from '../errors';
import { newId } from '../ids';
import { findRetriedEnrollment, insertCertificate, insertMachine } from '../machines/store';
import { hashToken } from '../tokens/secret';
import { tokenRefusal } from '../tokens/service';
import { findTokenByHash, spendTokenUse, type TokenRow } from '../tokens/store';
import { linuxBinaryUrl } from './binary-url';

interface MachineKey {
  publicKey: x509.PublicKey;
  /** Present only when the server made the key (request without a CSR). */
  privateKeyPem?: string;
}

/**
 * Trades an install token for a machine certificate. Everything that can fail is checked and
 * every key and certificate is made before the transaction; inside it, only the token use, the
 * machine and the certificate are written, together or not at all.
 */
export async function bootstrap(
  ctx: AppContext,
  request: BootstrapRequest,
  meta: { sourceIp: string },
): Promise<BootstrapResponse> {
  const now = ctx.clock();
  const token = await findTokenByHash(ctx.db, hashToken(request.token));
  const platform = request.platform ?? 'linux';
  const refusal = tokenRefusal(token, now, platform);
  if (refusal || !token) {
    await refuse(ctx, token, refusal ?? 'token_invalid', meta, now);
    throw new AppError(refusal ?? 'token_invalid');
  }

  const key = await machineKey(request.csr);
  const fingerprint = publicKeyFingerprint(key.publicKey);
  const hardwareId = request.hardware_id ?? null;

  if (!key.privateKeyPem) {
    const retried = await findRetriedEnrollment(ctx.db, token.id, fingerprint, hardwareId);
    if (retried) {
      return response(ctx, token.client_id, retried.machine_id, retried.pem, undefined, request);
    }
  }

  const machineId = newId();
  const identity = { clientId: token.client_id, machineId };
  const issued = await issueMachineCertificate(ctx.ca, key.publicKey, identity, {
    now,
    lifetimeDays: ctx.config.certificateLifetimeDays,
  });

  const spent = await ctx.db.transaction().execute(async (trx) => {
    if (!(await spendTokenUse(trx, token.id, now))) return false;
    await insertMachine(trx, {
      id: machineId,
      client_id: token.client_id,
      hostname: request.hostname,
      hardware_id: hardwareId,
      platform,
      arch: request.arch ?? null,
      agent_version: null,
      channel: 'stable',
      token_id: token.id,
      enrolled_at: now.toISOString(),
      last_seen_at: null,
      revoked_at: null,
    });
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

  if (!spent) {
    // Another request took the last use (or the token changed) between the check and the write.
    const latest = await findTokenByHash(ctx.db, token.token_hash);
    const reason = tokenRefusal(latest, now, platform) ?? 'token_exhausted';
    await refuse(ctx, token, reason, meta, now);
    throw new AppError(reason);
  }

  await recordAudit(
    ctx.db,
    {
      clientId: token.client_id,
      actor: `token:${token.id}`,
      action: 'token.used',
      subject: machineId,
      details: { hostname: request.hostname, serial: issued.serial, source_ip: meta.sourceIp },
    },
    now,
  );
  ctx.log.info({ machineId, clientId: token.client_id, tokenId: token.id }, 'machine enrolled');
  return response(ctx, token.client_id, machineId, issued.pem, key.privateKeyPem, request);
}

async function machineKey(csr: string | undefined): Promise<MachineKey> {
  if (csr) return { publicKey: await readCertificateRequest(csr) };
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  return { publicKey, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}

async function refuse(
  ctx: AppContext,
  token: TokenRow | undefined,
  reason: string,
  meta: { sourceIp: string },
  now: Date,
): Promise<void> {
  ctx.log.info({ reason, tokenId: token?.id, sourceIp: meta.sourceIp }, 'bootstrap refused');
  if (!token) return;
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
    ca_cert: ctx.caTrust.bundlePem,
    api_url: ctx.urls.agentApiUrl,
    public_url: ctx.urls.publicUrl,
    binary_url: linuxBinaryUrl(ctx, request.arch ?? 'amd64', 'stable'),
    channel: 'stable',
  };
}
