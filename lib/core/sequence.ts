/** Idempotent producers' numbering, as Kafka's: shared by the server and the SDK. */

/** The producer epoch is an int16; an id whose epochs run out is replaced by a new id. */
export const maxProducerEpoch = 2 ** 15 - 1;

/** Sequences are int32 and wrap to 0 past the largest. */
export const maxSequence = 2 ** 31 - 1;

/** The sequence after a batch of `count` records starting at `firstSeq`. */
export function nextSequence(firstSeq: number, count: number): number {
  return (firstSeq + count) % (maxSequence + 1);
}
