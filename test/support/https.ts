import https from 'node:https';
import { gzipSync } from 'node:zlib';

export interface ClientTls {
  cert?: string;
  key?: string;
  ca: string;
}

export interface HttpsResult {
  status: number;
  body: { error?: { code: string; message: string; field?: string } } & Record<string, unknown>;
}

/** One request to the agent API on a fresh connection, with or without a client certificate. */
export function agentRequest(
  url: string,
  tls: ClientTls,
  options: {
    method?: string;
    body?: unknown;
    gzip?: boolean;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpsResult> {
  const raw =
    options.body === undefined
      ? undefined
      : Buffer.isBuffer(options.body)
        ? options.body
        : Buffer.from(JSON.stringify(options.body));
  const payload = raw && options.gzip ? gzipSync(raw) : raw;
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: options.method ?? (payload ? 'POST' : 'GET'),
        agent: false,
        ca: tls.ca,
        ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
