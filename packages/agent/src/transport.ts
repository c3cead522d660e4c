import https from 'node:https';
import tls from 'node:tls';
import { gzipSync } from 'node:zlib';

export interface TlsMaterial {
  certificatePem: string;
  keyPem: string;
  caPem?: string | undefined;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * The largest answer the agent reads. The biggest real one, a heartbeat answer with a trust
 * bundle (at most 64 KiB) and an offer, is far below; more is a broken or hostile server.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** An answer larger than the agent reads: a failed request, like a network failure. */
export class ResponseTooLargeError extends Error {
  readonly code = 'response_too_large';

  constructor(limit: number) {
    super(`the server's answer is larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Failures of the connection itself, worth one immediate retry on a fresh socket. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * The agent's connection to the agent API: one kept-alive mutual-TLS socket reused for every
 * request, one secure context built once, and TLS sessions cached so that a reconnect resumes
 * instead of paying a full handshake.
 */
export class AgentTransport {
  private agent: https.Agent;
  private readonly base: URL;

  constructor(
    apiUrl: string,
    material: TlsMaterial,
    private readonly maxResponseBytes = MAX_RESPONSE_BYTES,
  ) {
    this.base = new URL(apiUrl);
    this.agent = AgentTransport.connectionPool(material);
  }

  /**
   * Uses another certificate or trust bundle from the next request on (after a renewal or a CA
   * rotation); the kept-alive connection made with the old one is closed.
   */
  reload(material: TlsMaterial): void {
    const old = this.agent;
    this.agent = AgentTransport.connectionPool(material);
    old.destroy();
  }

  private static connectionPool(material: TlsMaterial): https.Agent {
    const secureContext = tls.createSecureContext({
      cert: material.certificatePem,
      key: material.keyPem,
      // The Optralis CA for a server that terminates mutual TLS itself, and the public roots
      // for a proxy in front of it with a certificate from a public authority.
      ...(material.caPem ? { ca: [...tls.rootCertificates, material.caPem] } : {}),
    });
    return new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      maxCachedSessions: 4,
      secureContext,
    } as https.AgentOptions);
  }

  async postJson(path: string, value: unknown): Promise<JsonResponse> {
    const body = gzipSync(JSON.stringify(value));
    try {
      return await this.send('POST', path, body);
    } catch (error) {
      if (!STALE_SOCKET_CODES.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      // The server closed an idle kept-alive socket just as it was reused: try once more.
      return this.send('POST', path, body);
    }
  }

  async getJson(path: string): Promise<JsonResponse> {
    return this.send('GET', path, undefined);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body: Buffer | undefined): Promise<JsonResponse> {
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: {
            accept: 'application/json',
            ...(body
              ? {
                  'content-type': 'application/json',
                  'content-encoding': 'gzip',
                  'content-length': body.length,
                }
              : {}),
          },
        },
        (response) => {
          const limit = this.maxResponseBytes;
          // Stops reading (and drops the connection) past the limit, before buffering it all.
          if (Number(response.headers['content-length']) > limit) {
            request.destroy(new ResponseTooLargeError(limit));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
              chunks.length = 0;
              request.destroy(new ResponseTooLargeError(limit));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Not JSON (a proxy's error page): keep the text for the message.
            }
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error('request timed out')));
      request.on('error', reject);
      request.end(body);
    });
  }
}

/** The server's `{ error: { code, message } }`, or a short description of what came back. */
export function describeError(response: JsonResponse): { code: string; message: string } {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)
    ?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return { code: error.code, message: error.message };
  }
  return {
    code: `http_${response.status}`,
    message: `the server answered HTTP ${response.status}`,
  };
}
