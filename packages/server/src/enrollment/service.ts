import { X509Certificate } from 'node:crypto';
import type {
  Architecture,
  BootstrapRequest,
  BootstrapResponse,
  Platform,
} from '@optralis/protocol';
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
import { isAppError } from '../errors';
import { newId } from '../ids';
import {
  findRetriedEnrollment,
  insertCertificate,
  insertMachine,
  reenrollMachine,
} from '../machines/store';
import { hashToken } from '../tokens/secret';
import { tokenRefusal } from '../tokens/service';
import { findTokenByHash, spendTokenUse, type TokenRow } from '../tokens/store';
import { agentBinaryUrl } from './binary-url';
import { type BootstrapMeta, refuse } from './refusal';
import { anotherMachineAppeared, recordCloneSuspected, sameHardware } from './same-hardware';

interface MachineKey {
  publicKey: x509.PublicKey;
  /** Present only when the server made the key (request without a CSR). */
  privateKeyPem?: string;
}

/** Whether `sha256` (lowercase hex of the DER) is one of the CAs the agent API trusts now. */
function trustsCa(ctx: AppContext, sha256: string): boolean {
  return ctx.caTrust.trusted.some(
    (ca) =>
      new X509Certificate(ca.toString('pem')).fingerprint256.replaceAll(':', '').toLowerCase() ===
      sha256,
  );
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

  if (request.ca_sha256 !== undefined && !trustsCa(ctx, request.ca_sha256)) {
    return refuse(ctx, token, 'ca_unknown', meta, now);
  }

  const key = await machineKey(request.csr).catch((error: unknown) =>
    isAppError(error) ? refuse(ctx, token, error.code, meta, now, error) : Promise.reject(error),
  );
  const fingerprint = publicKeyFingerprint(key.publicKey);
  const hardwareId = request.hardware_id ?? null;
  const platform = machinePlatform(request, token);

  // A retry of a request that already succeeded (same token, key and hardware id) gets the
  // same machine back, even when that success spent the token's last use.
  if (!key.privateKeyPem) {
    const retried = await findRetriedEnrollment(ctx.db, token.id, fingerprint, hardwareId);
    if (retried) {
      const channel = request.channel ?? 'stable';
      return response(ctx, token.client_id, retried.machine_id, retried.pem, undefined, {
        platform,
        arch: request.arch ?? 'amd64',
        channel,
      });
    }
  }

  const refusal = tokenRefusal(token, now, platform);
  if (refusal) return refuse(ctx, token, refusal, meta, now);

  const existing = hardwareId
    ? await sameHardware(ctx, token, hardwareId, request.hostname, meta, now)
    : undefined;
  const machineId = existing?.id ?? newId();
  // A reinstall keeps the machine's channel unless the installer names one.
  const channel = request.channel ?? existing?.channel ?? 'stable';
  const identity = { clientId: token.client_id, machineId };
  const issued = await issueMachineCertificate(ctx.ca, key.publicKey, identity, {
    now,
    lifetimeDays: ctx.config.certificateLifetimeDays,
  });

  const spent = await ctx.db.transaction().execute(async (trx) => {
    const appeared = hardwareId
      ? await anotherMachineAppeared(ctx, trx, token, hardwareId, existing)
      : undefined;
    if (appeared) {
      // The same host name once: an installer run twice at once, retried below as a reinstall.
      if (appeared.hostname.toLowerCase() === hostname && attempt === 0) return 'again';
      await recordCloneSuspected(trx, token, appeared, request.hostname, meta, now);
      return 'clone';
    }
    if (!(await spendTokenUse(trx, token.id, now))) return false;
    const machine = { hostname: request.hostname, platform, arch: request.arch ?? null };
    if (existing) {
      await reenrollMachine(trx, machineId, { ...machine, channel, token_id: token.id }, now);
    } else {
      await insertMachine(trx, {
        id: machineId,
        client_id: token.client_id,
        hardware_id: hardwareId,
        agent_version: null,
        channel,
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
    await recordAudit(
      trx,
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
    return true;
  });

  // The same machine enrolled concurrently (an installer run twice): once more, as a reinstall.
  if (spent === 'again') return bootstrap(ctx, request, meta, 1);
  if (spent === 'clone') return refuse(ctx, token, 'clone_suspected', meta, now);
  if (!spent) {
    // Another request took the last use (or the token changed) between the check and the write.
    const latest = await findTokenByHash(ctx.db, token.token_hash);
    return refuse(ctx, token, tokenRefusal(latest, now, platform) ?? 'token_exhausted', meta, now);
  }

  ctx.log.info({ machineId, clientId: token.client_id, tokenId: token.id }, 'machine enrolled');
  return response(ctx, token.client_id, machineId, issued.pem, key.privateKeyPem, {
    platform,
    arch: request.arch ?? 'amd64',
    channel,
  });
}

/**
 * The machine's platform: the one the request names; else the one its token is scoped to (the
 * spec's request `{token, hostname, hardware_id, arch}` names none, and a Windows token can only
 * enroll Windows); else Linux, the platform of the shell installer that sends no platform.
 */
function machinePlatform(request: BootstrapRequest, token: TokenRow): Platform {
  if (request.platform) return request.platform;
  return token.platform === 'any' ? 'linux' : token.platform;
}

async function machineKey(csr: string | undefined): Promise<MachineKey> {
  if (csr) return { publicKey: await readCertificateRequest(csr) };
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  return { publicKey, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function response(
  ctx: AppContext,
  clientId: string,
  machineId: string,
  certificatePem: string,
  privateKeyPem: string | undefined,
  target: { platform: Platform; arch: Architecture; channel: string },
): BootstrapResponse {
  const channel = target.channel === 'beta' ? 'beta' : 'stable';
  return {
    client_id: clientId,
    machine_id: machineId,
    certificate: certificatePem,
    ...(privateKeyPem ? { private_key: privateKeyPem } : {}),
    ca_cert: ctx.caTrust.bundlePem,
    api_url: ctx.urls.agentApiUrl,
    public_url: ctx.urls.publicUrl,
    binary_url: agentBinaryUrl(ctx, { ...target, channel }),
    channel,
    release_key: ctx.releaseKey.info,
  };
}
