import crypto from 'node:crypto';
import {
  catalogueStatementSchema,
  type ReleaseKeyInfo,
  type ReleaseStatement,
  releaseStatementSchema,
  type SignedStatement,
  type UpdateOffer,
} from '@optralis/protocol';
import semver from 'semver';

export type RefusalCode =
  | 'no_release_key'
  | 'unsigned'
  | 'unknown_key'
  | 'bad_signature'
  | 'malformed'
  | 'expired'
  | 'replayed'
  | 'wrong_target'
  | 'not_newer';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface VerifyContext {
  now: Date;
  platform: string;
  architecture: string;
  /** The version this agent runs. */
  version: string;
  /** The highest catalogue sequence this agent has seen signed (in an offer or a statement). */
  lastSequence: number;
}

export type Verified = { ok: true; statement: ReleaseStatement } | { ok: false; refusal: Refusal };

const refuse = (code: RefusalCode, message: string): Verified => ({
  ok: false,
  refusal: { code, message },
});

/**
 * Checks an update offer against the release key the agent got at enrollment. Only the signed
 * statement is believed; the unsigned fields beside it are ignored. Refused: no signature, a
 * signature by another key or over other bytes, an expired statement, one older than a statement
 * already accepted (a replay), one for another platform, or one that is not an upgrade.
 */
export function verifyOffer(
  offer: UpdateOffer,
  key: ReleaseKeyInfo | undefined,
  context: VerifyContext,
): Verified {
  if (!key) return refuse('no_release_key', 'no release key is configured; enroll again');
  if (!offer.statement || !offer.signature) {
    return refuse('unsigned', `the offer of ${offer.version} is not signed`);
  }
  if (offer.key_id !== key.key_id) {
    return refuse('unknown_key', `the offer of ${offer.version} is signed by an unknown key`);
  }
  if (!signedBy(key, offer.statement, offer.signature)) {
    return refuse('bad_signature', `the signature of the ${offer.version} offer is wrong`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(offer.statement);
  } catch {
    return refuse('malformed', 'the signed statement is not JSON');
  }
  const result = releaseStatementSchema.safeParse(parsed);
  if (!result.success) return refuse('malformed', 'the signed statement is not valid');
  const statement = result.data;

  if (Date.parse(statement.expires_at) <= context.now.getTime()) {
    return refuse('expired', `the signed statement of ${statement.version} has expired`);
  }
  if (statement.sequence < context.lastSequence) {
    return refuse(
      'replayed',
      `the signed statement of ${statement.version} is older than one already seen`,
    );
  }
  if (statement.platform !== context.platform || statement.architecture !== context.architecture) {
    return refuse(
      'wrong_target',
      `the ${statement.version} release is for ${statement.platform}/${statement.architecture}`,
    );
  }
  const running = semver.valid(context.version);
  if (!running || !semver.gt(statement.version, running)) {
    return refuse('not_newer', `${statement.version} is not newer than ${context.version}`);
  }
  return { ok: true, statement };
}

function signedBy(key: ReleaseKeyInfo, statement: string, signature: string): boolean {
  try {
    const publicKey = crypto.createPublicKey(key.public_key);
    const bytes = Buffer.from(signature, 'base64');
    return crypto.verify(null, Buffer.from(statement, 'utf8'), publicKey, bytes);
  } catch {
    return false;
  }
}

export type VerifiedSequence = { ok: true; sequence: number } | { ok: false; refusal: Refusal };

/**
 * Checks the catalogue statement of a heartbeat answer: signed by the release key and not
 * expired. Its sequence only ever raises what the agent remembers, so an old one replayed is
 * harmless and needs no check against the last.
 */
export function verifyCatalogue(
  signed: SignedStatement,
  key: ReleaseKeyInfo | undefined,
  now: Date,
): VerifiedSequence {
  const no = (code: RefusalCode, message: string): VerifiedSequence => ({
    ok: false,
    refusal: { code, message },
  });
  if (!key) return no('no_release_key', 'no release key is configured; enroll again');
  if (signed.key_id !== key.key_id) {
    return no('unknown_key', 'the release catalogue statement is signed by an unknown key');
  }
  if (!signedBy(key, signed.statement, signed.signature)) {
    return no('bad_signature', 'the signature of the release catalogue statement is wrong');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(signed.statement);
  } catch {
    return no('malformed', 'the release catalogue statement is not JSON');
  }
  const result = catalogueStatementSchema.safeParse(parsed);
  if (!result.success) return no('malformed', 'the release catalogue statement is not valid');
  if (Date.parse(result.data.expires_at) <= now.getTime()) {
    return no('expired', 'the release catalogue statement has expired');
  }
  return { ok: true, sequence: result.data.sequence };
}
