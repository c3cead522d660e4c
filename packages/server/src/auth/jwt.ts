import { jwtVerify, SignJWT } from 'jose';
import { ROLES, type Role } from '../db/schema';

export interface SessionClaims {
  userId: string;
  clientId: string | null;
  role: Role;
}

const ISSUER = 'optralis';
const SESSION_HOURS = 12;

export async function signSession(claims: SessionClaims, secret: Uint8Array, now: Date) {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ cid: claims.clientId, role: claims.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + SESSION_HOURS * 3600)
    .sign(secret);
}

/** Returns the claims of a valid session token, or undefined for anything else. */
export async function verifySession(
  token: string,
  secret: Uint8Array,
  now: Date,
): Promise<SessionClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      issuer: ISSUER,
      algorithms: ['HS256'],
      currentDate: now,
    });
    const role = ROLES.find((known) => known === payload.role);
    if (typeof payload.sub !== 'string' || !role) return undefined;
    const clientId = typeof payload.cid === 'string' ? payload.cid : null;
    return { userId: payload.sub, clientId, role };
  } catch {
    return undefined;
  }
}
