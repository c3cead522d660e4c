import { createHash } from 'node:crypto';
import net from 'node:net';
import { x509 } from '../ca/x509';
import type { AppContext } from '../context';
import { AppError } from '../errors';

/**
 * Client certificates forwarded by a reverse proxy that terminated mutual TLS (Caddy's
 * `client_auth`, nginx's `ssl_verify_client`). The header is believed only when the connection
 * comes from a configured proxy address; the certificate is then verified again against the
 * Optralis CA here, so a proxy misconfiguration cannot let a foreign certificate in.
 */
export class ForwardedCertificates {
  private readonly proxies = new net.BlockList();
  private readonly verified = new Map<
    string,
    { serial: string; issuer: string; notAfter: number }
  >();
  private static readonly CACHE_LIMIT = 10_000;
  /** False when no proxy is configured: most servers, where no connection needs a look-up. */
  readonly hasProxies: boolean;
  /** The trust the cached verdicts were reached under; a CA change empties the cache. */
  private cachedUnder: x509.X509Certificate[] | undefined;

  constructor(
    proxies: string[],
    private readonly trustedCas: () => x509.X509Certificate[],
  ) {
    this.hasProxies = proxies.length > 0;
    for (const entry of proxies) {
      const [address = '', prefix] = entry.split('/');
      const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.proxies.addAddress(address, type);
      else this.proxies.addSubnet(address, Number(prefix), type);
    }
  }

  /** Whether the peer of this connection is one of the configured proxies. */
  fromProxy(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const mapped = remoteAddress.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/)?.[1];
    if (mapped) return this.proxies.check(mapped, 'ipv4');
    return this.proxies.check(remoteAddress, net.isIPv6(remoteAddress) ? 'ipv6' : 'ipv4');
  }

  /** The serial of a forwarded certificate that our CA issued and that is valid now. */
  async serialOf(headerValue: string, now: Date): Promise<string> {
    return (await this.certificateOf(headerValue, now)).serial;
  }

  /** Serial and issuer common name of a forwarded certificate that our CA issued, valid now. */
  async certificateOf(headerValue: string, now: Date): Promise<{ serial: string; issuer: string }> {
    const trusted = this.trustedCas();
    if (trusted !== this.cachedUnder) {
      this.verified.clear();
      this.cachedUnder = trusted;
    }
    const key = createHash('sha256').update(headerValue).digest('hex');
    const known = this.verified.get(key);
    if (known && now.getTime() < known.notAfter) return known;
    if (known) throw new AppError('client_certificate_expired');

    const certificate = parseForwarded(headerValue);
    if (!certificate) throw new AppError('client_certificate_invalid');
    if (now < certificate.notBefore) throw new AppError('client_certificate_invalid');
    if (now >= certificate.notAfter) throw new AppError('client_certificate_expired');
    if (!(await this.issuedByTrustedCa(certificate))) {
      throw new AppError('client_certificate_invalid');
    }
    const serial = certificate.serialNumber.toLowerCase();
    const issuer = certificate.issuerName.getField('CN')[0] ?? '';
    if (this.verified.size >= ForwardedCertificates.CACHE_LIMIT) this.verified.clear();
    const entry = { serial, issuer, notAfter: certificate.notAfter.getTime() };
    this.verified.set(key, entry);
    return entry;
  }

  private async issuedByTrustedCa(certificate: x509.X509Certificate): Promise<boolean> {
    for (const ca of this.trustedCas()) {
      if (ca.subject !== certificate.issuer) continue;
      const ok = await certificate
        .verify({ publicKey: ca.publicKey, signatureOnly: true })
        .catch(() => false);
      if (ok) return true;
    }
    return false;
  }
}

/** Caddy forwards base64 DER; nginx forwards URL-encoded PEM. Anything else is refused. */
function parseForwarded(value: string): x509.X509Certificate | undefined {
  try {
    const text = value.includes('%') ? decodeURIComponent(value) : value;
    if (text.includes('-----BEGIN CERTIFICATE-----')) return new x509.X509Certificate(text);
    if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) return undefined;
    return new x509.X509Certificate(Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
}

const gates = new WeakMap<AppContext, ForwardedCertificates>();

/** The forwarded-certificate gate of a running server, built on first use. */
export function forwardedCertificates(ctx: AppContext): ForwardedCertificates {
  let gate = gates.get(ctx);
  if (!gate) {
    gate = new ForwardedCertificates(ctx.config.trustedProxies, () => ctx.caTrust.trusted);
    gates.set(ctx, gate);
  }
  return gate;
}
