import type { AppContext } from '../context';
import type { TokenKind } from '../db/schema';
import { bootstrap } from '../enrollment/service';
import { createInstallToken } from '../tokens/service';

/** The host name a machine enrolled ahead of its installation shows until it reports its own. */
export const PENDING_HOSTNAME = 'pending-install';

export interface InstallerCertificateRequest {
  clientId: string;
  /** `user:<id>` of the administrator who downloads the installer. */
  createdBy: string;
  kind: Exclude<TokenKind, 'command'>;
  platform: 'linux' | 'windows';
  arch: 'amd64' | 'arm64';
  /** The downloader's address, for the audit trail of the enrollment. */
  sourceIp: string;
}

export interface InstallerCertificate {
  tokenId: string;
  clientId: string;
  machineId: string;
  certificatePem: string;
  privateKeyPem: string;
  notAfter: string;
}

/**
 * The specification's certificate mode: one machine enrolled now, for an installer that carries
 * its certificate and key. It goes through the ordinary enrollment with a one-use installer
 * token spent at once, so the token, the machine, the certificate and their audit events are
 * exactly those of any other enrollment (the key is made here, as for a request without CSR).
 */
export async function issueInstallerCertificate(
  ctx: AppContext,
  request: InstallerCertificateRequest,
): Promise<InstallerCertificate> {
  const made = await createInstallToken(ctx, {
    clientId: request.clientId,
    createdBy: request.createdBy,
    kind: request.kind,
    platform: request.platform,
    maxUsage: 1,
  });
  const answer = await bootstrap(
    ctx,
    {
      token: made.value,
      hostname: PENDING_HOSTNAME,
      platform: request.platform,
      arch: request.arch,
    },
    { sourceIp: request.sourceIp },
  );
  if (!answer.private_key) throw new Error('the enrollment returned no private key');
  return {
    tokenId: made.row.id,
    clientId: answer.client_id,
    machineId: answer.machine_id,
    certificatePem: answer.certificate,
    privateKeyPem: answer.private_key,
    notAfter: new Date(
      ctx.clock().getTime() + ctx.config.certificateLifetimeDays * 86_400_000,
    ).toISOString(),
  };
}
