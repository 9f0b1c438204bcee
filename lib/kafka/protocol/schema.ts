/**
 * The Kafka protocol's message definitions as data, in the shape of Kafka's own JSON message
 * specs (clients/src/main/resources/common/message/*.json), and the TypeScript value types
 * inferred from them, so a definition and the type a handler sees cannot drift apart.
 *
 * A field's `type` is a primitive (`int32`), an array of one (`[]int32`), or a struct named
 * in PascalCase with its `fields` (`LeaderIdAndEpoch`, or `[]MetadataResponseTopic` for an
 * array of them), as in Kafka's specs. Names are Kafka's, camelCased.
 *
 * Versions are strings as Kafka writes them: "0+", "3-5", "7" or "none". A field outside its
 * `versions` is not on the wire; decoding gives its default and encoding refuses a
 * non-default value for it unless it is `ignorable` (Kafka's rule: dropping it silently
 * would change the request's meaning).
 *
 * Values:
 *   bool => boolean; int8, int16, int32, uint16, float64 => number
 *   int64 => bigint (encode also takes a safe-integer number)
 *   uuid => 32 lowercase hex digits, no dashes ("000...0" is Kafka's ZERO_UUID); encode also
 *           takes the dashed form, as crypto.randomUUID() gives it
 *   string => string (UTF-8 on the wire); bytes, records => Buffer (decode returns a view
 *           into the input buffer, not a copy: a produced batch is kept as it came)
 *   nullable in some version => `| null` in the type
 */

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  | 'records';

/** A primitive, an array of primitives, a struct or an array of structs (the last two with `fields`). */
export type FieldType = PrimitiveType | `[]${PrimitiveType}` | Capitalize<string> | `[]${Capitalize<string>}`;

export type DefaultValue = boolean | number | bigint | string | null;

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** The message versions that carry this field. */
  readonly versions: string;
  readonly nullableVersions?: string;
  /** Versions where the field travels in the tagged-fields section under `tag` (flexible versions only). */
  readonly taggedVersions?: string;
  readonly tag?: number;
  /** Kafka's implicit default when absent: 0, false, "", empty bytes, null records, zero uuid, [], a default struct. */
  readonly default?: DefaultValue;
  /** May be dropped silently when encoding a version without it. */
  readonly ignorable?: boolean;
  /** Overrides the message's flexible versions for this field: RequestHeader's ClientId is "none". */
  readonly flexibleVersions?: string;
  readonly fields?: readonly FieldSpec[];
}

export interface MessageSpec {
  readonly name: string;
  /** 'data': a message of no API, carried inside another's bytes field behind an int16 version (versioned.ts). */
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly apiKey?: number;
  readonly validVersions: string;
  /** Versions with compact strings, bytes and arrays and a tagged-fields section in every struct. */
  readonly flexibleVersions: string;
  readonly fields: readonly FieldSpec[];
}

/** One API: its key and its request and response definitions, which share a version range. */
export interface ApiSpec {
  readonly name: string;
  readonly apiKey: number;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

/** An inclusive range of versions; `max` is Infinity for "N+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };
const parsed = new Map<string, VersionRange>();

/** Parses "0+", "3-5", "7" or "none"; throws on anything else (a definition bug). */
export function parseVersions(text: string): VersionRange {
  let range = parsed.get(text);
  if (range !== undefined) return range;
  const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(text);
  if (text === 'none') range = NONE;
  else if (m !== null) {
    const min = Number(m[1]);
    range = { min, max: m[2] !== undefined ? Infinity : m[3] !== undefined ? Number(m[3]) : min };
  } else throw new Error(`bad version range '${text}'`);
  parsed.set(text, range);
  return range;
}

/** Whether `version` falls in the range text (an absent range is no versions). */
export function inVersions(text: string | undefined, version: number): boolean {
  if (text === undefined) return false;
  const { min, max } = parseVersions(text);
  return version >= min && version <= max;
}

// ---- Value types inferred from a definition written `as const satisfies MessageSpec` ----

interface PrimitiveValues {
  bool: boolean;
  int8: number;
  int16: number;
  int32: number;
  int64: bigint;
  uint16: number;
  float64: number;
  uuid: string;
  string: string;
  bytes: Buffer;
  records: Buffer;
}
/** What encode accepts for each primitive. */
interface PrimitiveInputs extends Omit<PrimitiveValues, 'int64' | 'bytes' | 'records'> {
  int64: bigint | number;
  bytes: Uint8Array;
  records: Uint8Array;
}

type NullIn<F> = F extends { readonly nullableVersions: string } ? null : never;

type FieldValue<F extends FieldSpec> =
  | (F extends { readonly fields: infer Fs extends readonly FieldSpec[] }
      ? F['type'] extends `[]${string}`
        ? StructValue<Fs>[]
        : StructValue<Fs>
      : F['type'] extends `[]${infer P extends PrimitiveType}`
        ? PrimitiveValues[P][]
        : F['type'] extends PrimitiveType
          ? PrimitiveValues[F['type']]
          : never)
  | NullIn<F>;

type FieldInput<F extends FieldSpec> =
  | (F extends { readonly fields: infer Fs extends readonly FieldSpec[] }
      ? F['type'] extends `[]${string}`
        ? readonly StructInput<Fs>[]
        : StructInput<Fs>
      : F['type'] extends `[]${infer P extends PrimitiveType}`
        ? readonly PrimitiveInputs[P][]
        : F['type'] extends PrimitiveType
          ? PrimitiveInputs[F['type']]
          : never)
  | NullIn<F>;

/** A decoded struct: every field of the definition, those absent in the version at their default. */
export type StructValue<Fs extends readonly FieldSpec[]> = { [F in Fs[number] as F['name']]: FieldValue<F> };
/** What encode takes: any field may be left out, and its default is written. */
export type StructInput<Fs extends readonly FieldSpec[]> = { readonly [F in Fs[number] as F['name']]?: FieldInput<F> };

/** The decoded value of a message. */
export type MessageValue<M extends MessageSpec> = StructValue<M['fields']>;
/** The value encode takes for a message. */
export type MessageInput<M extends MessageSpec> = StructInput<M['fields']>;

/** A decoded request of an API, e.g. `RequestOf<typeof Metadata>`. */
export type RequestOf<A extends ApiSpec> = MessageValue<A['request']>;
/** What a handler returns for an API's response, e.g. `ResponseInputOf<typeof Metadata>`. */
export type ResponseInputOf<A extends ApiSpec> = MessageInput<A['response']>;
