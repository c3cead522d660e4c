/** Calls to the Optralis API with the session token, and its errors in one shape. */

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
}

/** A refusal of the API (`{error: {code, message, field?}}`), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const SESSION_KEY = 'optralis.session';

let sessionToken: string | null = readSession();
let onExpired: () => void = () => {};

function readSession(): string | null {
  try {
    return localStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
}

export function getSessionToken(): string | null {
  return sessionToken;
}

export function setSessionToken(token: string | null): void {
  sessionToken = token;
  try {
    if (token === null) localStorage.removeItem(SESSION_KEY);
    else localStorage.setItem(SESSION_KEY, token);
  } catch {
    // Without storage the session lasts as long as the page.
  }
}

/** Called when the server refuses the session (expired or signed by another secret). */
export function whenSessionExpires(handler: () => void): void {
  onExpired = handler;
}

export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The raw response of a successful call; anything else becomes an ApiError. */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (sessionToken) headers.authorization = `Bearer ${sessionToken}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  if (response.ok) return response;

  const error = await readError(response);
  if (response.status === 401 && sessionToken && error.code === 'unauthorized') {
    setSessionToken(null);
    onExpired();
  }
  throw error;
}

async function readError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; field?: string };
    };
    if (body.error?.code) {
      return new ApiError(
        response.status,
        body.error.code,
        body.error.message ?? body.error.code,
        body.error.field,
      );
    }
  } catch {
    // Not the API's error shape (a proxy's page, say): described by its status below.
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
}

/** A JSON call; 204 answers resolve to undefined. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
