import crypto from 'node:crypto';
import {
  type ReleaseKeyInfo,
  type ReleaseStatement,
  releaseStatementSchema,
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
  /** The highest catalogue sequence this agent has accepted. */
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
  const signature = Buffer.from(offer.signature, 'base64');
  let valid = false;
  try {
    const publicKey = crypto.createPublicKey(key.public_key);
    valid = crypto.verify(null, Buffer.from(offer.statement, 'utf8'), publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid)
    return refuse('bad_signature', `the signature of the ${offer.version} offer is wrong`);

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
