/**
 * The one error the protocol codec throws: a malformed, truncated or hostile buffer when
 * decoding, or a value the version cannot carry when encoding. The gateway answers a bad
 * frame with Kafka's error where the protocol has one and otherwise closes the connection;
 * either way it never escapes as a RangeError from Buffer.
 */
import { SluiceError } from '../../core/errors.ts';

export class ProtocolError extends SluiceError {
  readonly code = 'KAFKA_PROTOCOL';
  readonly status = 400;
}
