import type { RenewRequest, RenewResponse } from '@optralis/protocol';
import { recordAudit } from '../audit/store';
import { issueMachineCertificate, readCertificateRequest } from '../ca';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { countCertificatesSince, insertCertificate } from '../machines/store';
import type { MachinePrincipal } from './identity';

const DAY_MS = 86_400_000;

/**
 * How many certificates one machine may receive in a day: a few spare renewals (a lost answer,
 * a CA rotation) beyond the two per lifetime that renewing at two thirds needs.
 */
export function renewalsPerDay(lifetimeDays: number): number {
  return 10 + Math.ceil(2 / Math.min(1, lifetimeDays));
}

/**
 * A new certificate for the machine that authenticated this request, for a key it made itself:
 * same client and machine ids, signed by the active CA (so renewing is also how an agent moves
 * to a new CA). The old certificate keeps working until the new one is first used.
 */
export async function renewCertificate(
  ctx: AppContext,
  machine: MachinePrincipal,
  request: RenewRequest,
): Promise<RenewResponse> {
  const now = ctx.clock();
  const publicKey = await readCertificateRequest(request.csr);
  const recent = await countCertificatesSince(
    ctx.db,
    machine.machineId,
    new Date(now.getTime() - DAY_MS),
  );
  if (recent >= renewalsPerDay(ctx.config.certificateLifetimeDays)) {
    throw new AppError('rate_limited', 'This machine renewed its certificate too often today.');
  }

  const identity = { clientId: machine.clientId, machineId: machine.machineId };
  const issued = await issueMachineCertificate(ctx.ca, publicKey, identity, {
    now,
    lifetimeDays: ctx.config.certificateLifetimeDays,
  });
  await insertCertificate(ctx.db, {
    serial: issued.serial,
    machine_id: machine.machineId,
    client_id: machine.clientId,
    token_id: null,
    public_key_sha256: issued.publicKeySha256,
    pem: issued.pem,
    not_before: issued.notBefore.toISOString(),
    not_after: issued.notAfter.toISOString(),
    issued_at: now.toISOString(),
    revoked_at: null,
    renews_serial: machine.serial,
  });
  await recordAudit(
    ctx.db,
    {
      clientId: machine.clientId,
      actor: `machine:${machine.machineId}`,
      action: 'machine.certificate_renewed',
      subject: machine.machineId,
      details: {
        serial: issued.serial,
        previous_serial: machine.serial,
        not_after: issued.notAfter.toISOString(),
      },
    },
    now,
  );
  ctx.log.info({ machineId: machine.machineId, serial: issued.serial }, 'certificate renewed');
  return {
    certificate: issued.pem,
    ca_cert: ctx.caTrust.bundlePem,
    // As the certificate states it: X.509 times have whole seconds.
    not_after: new Date(Math.floor(issued.notAfter.getTime() / 1000) * 1000).toISOString(),
  };
}
