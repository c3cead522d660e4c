import crypto from 'node:crypto';
import { loadAgentConfig } from './config';
import { AgentError } from './errors';

export interface Enrollment {
  clientId: string | null;
  machineId: string;
  apiUrl: string;
  publicUrl: string | null;
  channel: string;
  certificateExpiresAt: string;
}

function unusable(reason: string): AgentError {
  return new AgentError('not_enrolled', `no usable identity: ${reason}`, 78);
}

function parseCertificates(pem: string): crypto.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new crypto.X509Certificate(block));
}

/**
 * The identity a config directory holds, when the agent could use it as it is: config.json
 * readable with mutual TLS on, a machine id, a certificate that is still valid, signed by the
 * CA beside it, and the private key that belongs to it. Installers keep such an identity when
 * they run again instead of enrolling a second machine. Anything else is `not_enrolled`, with
 * the reason.
 */
export function readEnrollment(configDir: string, now = new Date()): Enrollment {
  const { config, tls } = loadAgentConfig(configDir);
  if (!tls) throw unusable('mtls_enabled is not true in config.json');
  if (!config.machine_id) throw unusable('config.json names no machine_id');

  let certificate: crypto.X509Certificate;
  try {
    certificate = new crypto.X509Certificate(tls.certificatePem);
  } catch {
    throw unusable('the client certificate cannot be parsed');
  }
  if (Date.parse(certificate.validTo) <= now.getTime()) {
    throw unusable(`the client certificate expired on ${certificate.validTo}`);
  }
  let keyMatches = false;
  try {
    keyMatches = certificate.checkPrivateKey(crypto.createPrivateKey(tls.keyPem));
  } catch {
    throw unusable('the client key cannot be parsed');
  }
  if (!keyMatches) throw unusable('the client key does not belong to the certificate');
  if (tls.caPem !== undefined) {
    const authorities = parseCertificates(tls.caPem);
    if (!authorities.some((authority) => certificate.verify(authority.publicKey))) {
      throw unusable('the client certificate was not issued by the CA in ca.crt');
    }
  }
  return {
    clientId: config.client_id ?? null,
    machineId: config.machine_id,
    apiUrl: config.api_url,
    publicUrl: config.public_url ?? null,
    channel: config.channel,
    certificateExpiresAt: new Date(certificate.validTo).toISOString(),
  };
}
