/**
 * Every error Sluice shows a caller: a stable `code`, the HTTP `status` it maps to and
 * whether retrying the same call can succeed. The API maps these to responses in one
 * place (lib/api/respond.ts); the client rebuilds them from a response by code
 * (lib/client/errors.ts, beside its own transport errors).
 */
export interface ErrorOptions {
  readonly cause?: unknown;
  /** Extra machine-readable fields sent beside code and message (e.g. offset bounds). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export abstract class SluiceError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Retrying must be a decision: false unless a subclass says otherwise. */
  readonly retriable: boolean = false;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

export class InvalidRequestError extends SluiceError {
  readonly code = 'INVALID_REQUEST';
  readonly status = 400;
}
export class TopicNotFoundError extends SluiceError {
  readonly code = 'TOPIC_NOT_FOUND';
  readonly status = 404;
  constructor(topic: string) {
    super(`topic '${topic}' does not exist`, { details: { topic } });
  }
}
export class RouteNotFoundError extends SluiceError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}
export class MethodNotAllowedError extends SluiceError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
}
export class GroupNotFoundError extends SluiceError {
  readonly code = 'GROUP_NOT_FOUND';
  readonly status = 404;
  constructor(group: string) {
    super(`group '${group}' does not exist`, { details: { group } });
  }
}
/** The member left, or missed heartbeats past its session timeout: it must join again. */
export class UnknownMemberError extends SluiceError {
  readonly code = 'UNKNOWN_MEMBER';
  readonly status = 404;
  constructor(group: string, memberId: string) {
    super(`member '${memberId}' is not in group '${group}' (it left or its session expired): join again`, {
      details: { group, memberId },
    });
  }
}
/** A commit (or other write) for a partition whose lease the caller no longer holds. */
export class FencedError extends SluiceError {
  readonly code = 'FENCED';
  readonly status = 409;
}
/** An idempotent produce whose sequence is not the next one expected for its partition (a gap, or a batch changed on retry). */
export class OutOfOrderSequenceError extends SluiceError {
  readonly code = 'OUT_OF_ORDER_SEQUENCE';
  readonly status = 409;
}
/** An earlier try of the same idempotent batch may still be landing: retry shortly and learn its outcome. */
export class ProduceInProgressError extends SluiceError {
  readonly code = 'PRODUCE_IN_PROGRESS';
  readonly status = 409;
  override readonly retriable = true;
}
/** A producerId that POST /v1/producers never issued. */
export class UnknownProducerError extends SluiceError {
  readonly code = 'UNKNOWN_PRODUCER';
  readonly status = 404;
}
export class GroupNotEmptyError extends SluiceError {
  readonly code = 'GROUP_NOT_EMPTY';
  readonly status = 409;
  constructor(group: string, members: number) {
    super(`group '${group}' has ${members} active member(s); stop them first`, { details: { group, members } });
  }
}
/** A group is used by one protocol at a time: Sluice's HTTP members or Kafka's clients. */
export class GroupProtocolError extends SluiceError {
  readonly code = 'INCONSISTENT_GROUP_PROTOCOL';
  readonly status = 409;
  constructor(group: string, members: number) {
    super(`group '${group}' has ${members} member(s) consuming over the Kafka protocol; use another group or stop them first`, { details: { group, members } });
  }
}
export class TopicExistsError extends SluiceError {
  readonly code = 'TOPIC_EXISTS';
  readonly status = 409;
  constructor(topic: string) {
    super(`topic '${topic}' already exists`, { details: { topic } });
  }
}
export class RecordTooLargeError extends SluiceError {
  readonly code = 'RECORD_TOO_LARGE';
  readonly status = 413;
}
export class PayloadTooLargeError extends SluiceError {
  readonly code = 'REQUEST_TOO_LARGE';
  readonly status = 413;
}
export class UnsupportedMediaTypeError extends SluiceError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
}
export class OffsetOutOfRangeError extends SluiceError {
  readonly code = 'OFFSET_OUT_OF_RANGE';
  readonly status = 416;
  constructor(offset: number, logStartOffset: number, highWatermark: number) {
    super(`offset ${offset} is outside [${logStartOffset}, ${highWatermark}]`, {
      details: { offset, logStartOffset, highWatermark },
    });
  }
}
export class ThrottledError extends SluiceError {
  readonly code = 'THROTTLED';
  readonly status = 429;
  override readonly retriable = true;
}
/** A setting that is missing or malformed at start-up. */
export class ConfigError extends SluiceError {
  readonly code = 'INVALID_CONFIG';
  readonly status = 500;
}
/** A batch whose bytes fail their CRC or framing: corruption in storage, a system fault. */
export class CorruptRecordError extends SluiceError {
  readonly code = 'CORRUPT_RECORD';
  readonly status = 500;
}
export class InternalError extends SluiceError {
  readonly code = 'INTERNAL';
  readonly status = 500;
}
/** Appends kept meeting other writers' items past the retry bound. */
export class UnavailableError extends SluiceError {
  readonly code = 'UNAVAILABLE';
  readonly status = 503;
  override readonly retriable = true;
}

/** An error's first line, for a one-line reason on a terminal or in a log. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split('\n')[0] ?? text;
}
