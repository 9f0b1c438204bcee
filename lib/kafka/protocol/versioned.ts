/**
 * Version-prefixed data messages (schema type 'data'), as Kafka's MessageUtil writes them
 * into another message's bytes field: the consumer protocol's subscription in JoinGroup's
 * protocol metadata, its assignment in SyncGroup's.
 *
 *   VersionedData => version int16, then the struct of that version (codec.ts)
 *
 * A version above the definition's is read as the newest one known, as Kafka's
 * ConsumerProtocol does: later versions may only add fields at the end, so bytes left over
 * after the struct are a newer peer's and are not an error.
 */
import { decode, writeMessage } from './codec.ts';
import { ProtocolError } from './errors.ts';
import { Writer } from './io.ts';
import { inVersions, parseVersions, type MessageInput, type MessageSpec, type MessageValue } from './schema.ts';

/** Encodes `value` as `version` of a data message, behind its int16 version. */
export function encodeVersioned<M extends MessageSpec>(message: M, version: number, value: MessageInput<M>): Buffer {
  // Checked before the prefix is written: the writer trusts its caller with an int16.
  if (!Number.isInteger(version) || !inVersions(message.validVersions, version)) {
    throw new ProtocolError(`${message.name} has no version ${version}`);
  }
  const writer = new Writer();
  writer.int16(version);
  writeMessage(writer, message, version, value);
  return writer.finish();
}

/**
 * Decodes a version-prefixed data message from `buffer` at `offset`. `version` is the one on
 * the wire, which may be newer than the definition's newest (read as that); one older than
 * its oldest, or a buffer too short for the prefix, is a ProtocolError. Bytes fields are
 * views into `buffer`.
 */
export function decodeVersioned<M extends MessageSpec>(
  message: M,
  buffer: Buffer,
  offset = 0,
): { version: number; value: MessageValue<M> } {
  if (!Number.isInteger(offset) || offset < 0 || offset + 2 > buffer.length) {
    throw new ProtocolError(`${message.name}: no room for a version at byte ${offset} of ${buffer.length}`);
  }
  const version = buffer.readInt16BE(offset);
  const { min, max } = parseVersions(message.validVersions);
  if (version < min) throw new ProtocolError(`${message.name} has no version ${version}`);
  const { value } = decode(message, Math.min(version, max), buffer, offset + 2);
  return { version, value };
}
