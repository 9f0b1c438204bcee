/**
 * Sluice's typed errors as Kafka's error codes: the one place the gateway maps them, as
 * lib/api/respond.ts does for HTTP. Transient storage faults become REQUEST_TIMED_OUT,
 * which every client retries; in the group APIs, COORDINATOR_NOT_AVAILABLE (groupErrorOf),
 * on which clients find the coordinator again and retry.
 */
import {
  CorruptRecordError,
  FencedError,
  GroupNotEmptyError,
  GroupNotFoundError,
  GroupProtocolError,
  InvalidRequestError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceError,
  ProduceInProgressError,
  RecordTooLargeError,
  ThrottledError,
  TopicExistsError,
  TopicNotFoundError,
  UnavailableError,
  UnknownMemberError,
  UnknownProducerError,
} from '../core/errors.ts';
import { GroupRefused } from '../core/classic-group.ts';
import { KafkaErrors, type KafkaError } from './protocol/index.ts';

/** A refusal only the Kafka protocol has a name for (no Sluice error means it). */
export class KafkaRefusal extends Error {
  override readonly name = 'KafkaRefusal';
  constructor(
    readonly kafka: KafkaError,
    message: string,
  ) {
    super(message);
  }
}

export function kafkaErrorOf(error: unknown): KafkaError {
  if (error instanceof KafkaRefusal) return error.kafka;
  if (error instanceof TopicNotFoundError) return KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION;
  if (error instanceof OffsetOutOfRangeError) return KafkaErrors.OFFSET_OUT_OF_RANGE;
  if (error instanceof RecordTooLargeError) return KafkaErrors.MESSAGE_TOO_LARGE;
  if (error instanceof CorruptRecordError) return KafkaErrors.CORRUPT_MESSAGE;
  if (error instanceof FencedError) return KafkaErrors.INVALID_PRODUCER_EPOCH;
  if (error instanceof OutOfOrderSequenceError) return KafkaErrors.OUT_OF_ORDER_SEQUENCE_NUMBER;
  if (error instanceof UnknownProducerError) return KafkaErrors.UNKNOWN_PRODUCER_ID;
  if (error instanceof TopicExistsError) return KafkaErrors.TOPIC_ALREADY_EXISTS;
  if (error instanceof InvalidRequestError) return KafkaErrors.INVALID_REQUEST;
  if (error instanceof GroupNotEmptyError) return KafkaErrors.NON_EMPTY_GROUP;
  if (error instanceof GroupNotFoundError) return KafkaErrors.GROUP_ID_NOT_FOUND;
  if (error instanceof GroupProtocolError) return KafkaErrors.INCONSISTENT_GROUP_PROTOCOL;
  if (error instanceof UnknownMemberError) return KafkaErrors.UNKNOWN_MEMBER_ID;
  if (error instanceof ProduceInProgressError || error instanceof ThrottledError || error instanceof UnavailableError) {
    return KafkaErrors.REQUEST_TIMED_OUT;
  }
  return KafkaErrors.UNKNOWN_SERVER_ERROR;
}

/**
 * A group call's error: a refusal of the group protocol by its name; anything else (a
 * storage fault) COORDINATOR_NOT_AVAILABLE, on which clients find the coordinator again
 * and retry, as they do when a Kafka coordinator moves.
 */
export function groupErrorOf(error: unknown): KafkaError {
  return error instanceof GroupRefused ? KafkaErrors[error.refusal] : KafkaErrors.COORDINATOR_NOT_AVAILABLE;
}
