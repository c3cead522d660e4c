import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { type CaTrust, x509 } from '../ca';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { findCertificateState, settleRenewal } from '../machines/store';
import { forwardedCertificates } from './forwarded';

export interface MachinePrincipal {
  machineId: string;
  clientId: string;
  serial: string;
  /** False when the certificate comes from a CA being retired: the agent must renew. */
  fromActiveCa: boolean;
  /** The machine's channel and the version it reported last, as stored. */
  channel: string;
  storedVersion: string | null;
}

interface TrustedCa {
  fingerprint256: string;
  /** Its subject key identifier, which the certificates it signs name. */
  keyId: Buffer | undefined;
}

interface TrustedCas {
  byName: Map<string, TrustedCa[]>;
  /** SHA-256 fingerprints, in the form Node gives for certificates. */
  fingerprints: Set<string>;
}

const casByTrust = new WeakMap<CaTrust, TrustedCas>();

/** The CAs trusted now, read once per trust bundle. */
function trustedCas(trust: CaTrust): TrustedCas {
  let known = casByTrust.get(trust);
  if (!known) {
    known = { byName: new Map(), fingerprints: new Set() };
    for (const certificate of trust.trusted) {
      const name = certificate.subjectName.getField('CN')[0] ?? '';
      const keyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      const ca = {
        fingerprint256: new X509Certificate(certificate.toString('pem')).fingerprint256,
        keyId: keyId ? Buffer.from(keyId, 'hex') : undefined,
      };
      known.byName.set(name, [...(known.byName.get(name) ?? []), ca]);
      known.fingerprints.add(ca.fingerprint256);
    }
    casByTrust.set(trust, known);
  }
  return known;
}

/** The common name of the CA that signs new certificates (CA names are unique). */
function activeCaName(ctx: AppContext): string {
  return ctx.caTrust.active.certificate.subjectName.getField('CN')[0] ?? '';
}

/**
 * Who is calling, from the TLS handshake only: the socket must have verified a certificate of
 * our CA (`authorized === true` and a non-empty peer certificate), and the store must know that
 * certificate and its machine as not revoked. Read before any asynchronous work so that the
 * socket state is the one of this request.
 */
export async function authenticateMachine(
  ctx: AppContext,
  request: FastifyRequest,
): Promise<MachinePrincipal> {
  const socket = request.raw.socket as TLSSocket;
  const { serial, issuer } = await handshakeCertificate(ctx, request, socket);
  const state = await findCertificateState(ctx.db, serial);
  if (!state) throw new AppError('client_certificate_invalid');
  if (state.machine_revoked_at !== null) throw new AppError('machine_revoked');
  if (state.certificate_revoked_at !== null) throw new AppError('certificate_revoked');
  if (state.renews_serial !== null) await settleRenewal(ctx.db, state, ctx.clock());
  return {
    machineId: state.machine_id,
    clientId: state.client_id,
    serial,
    fromActiveCa: issuer === activeCaName(ctx),
    channel: state.channel,
    storedVersion: state.agent_version,
  };
}

interface HandshakeCertificate {
  serial: string;
  issuer: string;
}

/** What stays true for the life of one connection, worked out on its first request. */
interface Connection {
  fromProxy: boolean;
  /** Set once the certificate of our own handshake has been checked. */
  certificate?: HandshakeCertificate & { issuerFingerprint: string; notAfter: number };
}

/**
 * Per connection, not per request: a kept-alive agent connection carries hundreds of
 * heartbeats, and its peer certificate cannot change (renegotiation is refused, see
 * `refuseRenegotiation`). Reading the certificate builds a large JavaScript object each time;
 * doing it once per connection took about a tenth off the server's CPU time per heartbeat.
 */
const connections = new WeakMap<object, Connection>();

/**
 * Without this, a client could renegotiate a TLS 1.2 connection and present another
 * certificate than the one remembered for it. Agents never renegotiate.
 */
export function refuseRenegotiation(socket: TLSSocket): void {
  socket.disableRenegotiation();
}

/**
 * The serial and issuer name of the certificate that authenticated this connection: forwarded
 * by a trusted proxy, or verified by our own TLS handshake. A forwarded header from anyone else
 * is ignored.
 */
async function handshakeCertificate(
  ctx: AppContext,
  request: FastifyRequest,
  socket: TLSSocket,
): Promise<HandshakeCertificate> {
  const gate = forwardedCertificates(ctx);
  let connection = connections.get(socket);
  if (!connection) {
    // Checking an address against the proxy list took a tenth of the time this check takes.
    connection = { fromProxy: gate.hasProxies && gate.fromProxy(socket.remoteAddress) };
    connections.set(socket, connection);
  }
  if (connection.fromProxy) {
    const forwarded = request.headers[ctx.config.clientCertHeader];
    if (typeof forwarded === 'string' && forwarded !== '') {
      return gate.certificateOf(forwarded, ctx.clock());
    }
  }
  if (ctx.config.agentTls === 'proxy') throw new AppError('client_certificate_required');
  if (!connection.certificate) connection.certificate = verifiedPeer(socket, ctx.caTrust);

  // The handshake judged the certificate against the trust of its moment, and a kept-alive
  // connection outlives CA replacements and expiry: both are checked again on every request, so
  // a retired or replaced CA shuts out the connections already open too.
  const { issuerFingerprint, notAfter } = connection.certificate;
  if (!trustedCas(ctx.caTrust).fingerprints.has(issuerFingerprint)) {
    throw new AppError('client_certificate_invalid');
  }
  if (notAfter <= ctx.clock().getTime()) throw new AppError('client_certificate_expired');
  return connection.certificate;
}

/**
 * The trusted CA that issued a certificate the handshake verified: the one of its issuer's name
 * whose key identifier the certificate names (its authority key identifier, found in its DER
 * without parsing it: parsing took longer than the rest of the check).
 */
export function issuingCa(trust: CaTrust, issuer: string, der: Buffer): TrustedCa | undefined {
  const named = trustedCas(trust).byName.get(issuer) ?? [];
  return named.find((ca) => ca.keyId === undefined || der.includes(ca.keyId));
}

/**
 * The peer certificate that our own handshake verified, read once per connection. Only the
 * certificate itself is read (`getPeerCertificate(false)`): asking Node for the chain as well
 * made it look the issuer up again, which took a tenth of the server's time on a connection per
 * request. The handshake verified that a trusted CA signed it (a resumed session was verified
 * when it was made); `issuingCa` tells which.
 */
function verifiedPeer(socket: TLSSocket, trust: CaTrust): NonNullable<Connection['certificate']> {
  const peer =
    typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : null;
  const hasPeer = peer !== null && Object.keys(peer).length > 0;
  if (!hasPeer) throw new AppError('client_certificate_required');
  if (socket.authorized !== true) {
    const reason = String(socket.authorizationError ?? '');
    if (reason === 'CERT_HAS_EXPIRED') throw new AppError('client_certificate_expired');
    throw new AppError('client_certificate_invalid');
  }
  const issuerName = peer.issuer?.CN;
  const issuer = (Array.isArray(issuerName) ? issuerName[0] : issuerName) ?? '';
  return {
    serial: peer.serialNumber.toLowerCase(),
    issuer,
    issuerFingerprint: issuingCa(trust, issuer, peer.raw)?.fingerprint256 ?? '',
    notAfter: Date.parse(peer.valid_to),
  };
}
