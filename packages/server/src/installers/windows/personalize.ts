import { encodePayloadBlock } from '@optralis/protocol/installer-payload';
import type { Segment } from '../../http/segmented-body';
import type { BaseAnalysis } from './analysis';

/** A piece of an installer: a byte range of the base file, or bytes made for this request. */
export type { Segment };

export interface PersonalizedLayout {
  segments: Segment[];
  length: number;
}

/**
 * Lays out the personalized executable: the base with `zip` added as the payload block, as a
 * list of segments to stream (the base is never copied in memory). Signed base: the block goes
 * at the end of the last certificate entry, whose length and the table's size grow by the
 * block's (a multiple of 8, so every entry stays 8-byte aligned). Unsigned base: the block is
 * appended at the next 8-byte boundary. When the headers keep a checksum, it is rewritten for
 * the new file. The format is in packages/protocol/src/installer-payload/README.md.
 */
export function personalize(base: BaseAnalysis, zip: Uint8Array): PersonalizedLayout {
  const head = Buffer.from(base.head);
  const words = base.words.copy();
  const { layout } = base;
  let segments: Segment[];
  let length: number;

  if (base.signed) {
    const { entryOffset, entryBytes, tableEnd } = base.signed;
    const block = encodePayloadBlock(zip, 8);
    const directory = (layout.certificateDirectoryOffset as number) + 4;
    head.writeUInt32LE((layout.certificateTable?.size ?? 0) + block.length, directory);
    words.add(head.subarray(directory, directory + 4), directory);
    const entry = Buffer.from(entryBytes);
    entry.writeUInt32LE(entryBytes.length + block.length, 0);
    words.add(entry.subarray(0, 4), entryOffset);
    words.add(block, tableEnd);
    length = base.size + block.length;
    segments = [
      { kind: 'bytes', bytes: head },
      { kind: 'file', start: head.length, end: entryOffset },
      { kind: 'bytes', bytes: entry },
      { kind: 'bytes', bytes: block },
      { kind: 'file', start: tableEnd, end: base.size },
    ];
  } else {
    const padding = Buffer.alloc((8 - (base.size % 8)) % 8);
    const tail = Buffer.concat([padding, encodePayloadBlock(zip)]);
    words.add(tail, base.size);
    length = base.size + tail.length;
    segments = [
      { kind: 'bytes', bytes: head },
      { kind: 'file', start: head.length, end: base.size },
      { kind: 'bytes', bytes: tail },
    ];
  }

  if (layout.checksum !== 0) head.writeUInt32LE(words.checksum(length), layout.checksumOffset);
  return { segments: segments.filter(nonEmpty), length };
}

function nonEmpty(segment: Segment): boolean {
  return segment.kind === 'bytes' ? segment.bytes.length > 0 : segment.end > segment.start;
}
