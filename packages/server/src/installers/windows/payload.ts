import {
  buildPayloadZip,
  type InstallerPayload,
  type PayloadConfig,
} from '@optralis/protocol/installer-payload';
import type { AppContext } from '../../context';
import { createInstallToken } from '../../tokens/service';
import { issueInstallerCertificate } from '../machine-certificate';

export interface PayloadRequest {
  clientId: string;
  /** `user:<id>`. */
  actor: string;
  mode: 'token' | 'certificate';
  /** Token mode: machines the token may enroll, 0 = unlimited. */
  maxUsage: number;
  sourceIp: string;
}

export interface MadePayload {
  payload: InstallerPayload;
  zip: Uint8Array;
  tokenId: string;
  machineId?: string;
}

/**
 * What one personalized installer carries: a new 24-hour installer token (token mode) or a
 * machine enrolled now with its certificate and key (certificate mode), the URLs, the CA and
 * the release key. Each call makes a new token: two downloads never share one.
 */
export async function makeWindowsPayload(
  ctx: AppContext,
  request: PayloadRequest,
): Promise<MadePayload> {
  const now = ctx.clock();
  const common = {
    api_url: ctx.urls.agentApiUrl,
    public_url: ctx.urls.publicUrl,
    channel: 'stable' as const,
    client_id: request.clientId,
    created_at: now.toISOString(),
  };
  const shared = { caCert: ctx.caTrust.bundlePem, releaseKey: ctx.releaseKey.info };

  if (request.mode === 'certificate') {
    const issued = await issueInstallerCertificate(ctx, {
      clientId: request.clientId,
      createdBy: request.actor,
      kind: 'windows_installer',
      platform: 'windows',
      arch: 'amd64',
      sourceIp: request.sourceIp,
    });
    const config: PayloadConfig = {
      ...common,
      mode: 'certificate',
      machine_id: issued.machineId,
      expires_at: issued.notAfter,
    };
    const payload = {
      ...shared,
      config,
      clientCert: issued.certificatePem,
      clientKey: issued.privateKeyPem,
    };
    const zip = buildPayloadZip(payload, now);
    return { payload, zip, tokenId: issued.tokenId, machineId: issued.machineId };
  }

  const made = await createInstallToken(ctx, {
    clientId: request.clientId,
    createdBy: request.actor,
    kind: 'windows_installer',
    platform: 'windows',
    maxUsage: request.maxUsage,
  });
  const config: PayloadConfig = {
    ...common,
    mode: 'token',
    token_id: made.row.id,
    expires_at: made.row.expires_at,
  };
  const payload = { ...shared, config, token: made.value };
  return { payload, zip: buildPayloadZip(payload, now), tokenId: made.row.id };
}
