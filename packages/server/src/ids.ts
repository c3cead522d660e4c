import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/**
 * Record ids are ULIDs: 26 characters, sortable by time. Two of them and a colon fit in the
 * 64-character common name of a machine certificate, where two dashed UUIDs would not.
 */
export function newId(): string {
  return next();
}

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
