/**
 * What the codec (codec.ts) walks: each message's fields compiled once per version into a
 * plan of which are on the wire, in which form (compact or not, tagged), with a maker of
 * each field's default for those that are not.
 */
import { ProtocolError } from './errors.ts';
import { inVersions, type FieldSpec, type MessageSpec, type PrimitiveType } from './schema.ts';

/** Kafka's Uuid.ZERO_UUID: "no topic id". */
export const ZERO_UUID = '0'.repeat(32);

const EMPTY = Buffer.alloc(0);
const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'float64', 'uuid', 'string', 'bytes', 'records']);

export interface FieldPlan {
  readonly name: string;
  /** The element type: a primitive, or the plan of a struct. */
  readonly elem: PrimitiveType | StructPlan;
  readonly array: boolean;
  readonly nullable: boolean;
  readonly compact: boolean;
  readonly tag: number | undefined;
  readonly ignorable: boolean;
  readonly makeDefault: () => unknown;
}

export interface StructPlan {
  /** Every field in definition order; those not `onWire` decode to their default. */
  readonly steps: readonly { readonly field: FieldPlan; readonly onWire: boolean }[];
  readonly wire: readonly FieldPlan[];
  /** Present in this version but not on the wire in order: checked on encode. */
  readonly absent: readonly FieldPlan[];
  readonly tagged: readonly FieldPlan[];
  readonly byTag: ReadonlyMap<number, FieldPlan>;
  readonly flexible: boolean;
}

const plans = new WeakMap<readonly FieldSpec[], Map<number, StructPlan>>();

function structPlan(fields: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
  let byVersion = plans.get(fields);
  if (byVersion === undefined) plans.set(fields, (byVersion = new Map()));
  let plan = byVersion.get(version);
  if (plan !== undefined) return plan;

  const steps: { field: FieldPlan; onWire: boolean }[] = [];
  const wire: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  for (const spec of fields) {
    const present = inVersions(spec.versions, version);
    const isTagged = present && spec.tag !== undefined && inVersions(spec.taggedVersions, version);
    if (isTagged && !flexible) throw new Error(`${spec.name}: tagged in version ${version}, which is not flexible`);
    const field = fieldPlan(spec, version, flexible, isTagged);
    steps.push({ field, onWire: present && !isTagged });
    if (!present) absent.push(field);
    else if (isTagged) tagged.push(field);
    else wire.push(field);
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  const byTag = new Map(tagged.map((f) => [f.tag!, f]));
  if (byTag.size !== tagged.length) throw new Error(`duplicate tag among ${tagged.map((f) => f.name).join(', ')}`);
  plan = { steps, wire, absent, tagged, byTag, flexible };
  byVersion.set(version, plan);
  return plan;
}

function fieldPlan(spec: FieldSpec, version: number, flexible: boolean, tagged: boolean): FieldPlan {
  const array = spec.type.startsWith('[]');
  const base = array ? spec.type.slice(2) : spec.type;
  let elem: PrimitiveType | StructPlan;
  if (spec.fields !== undefined) {
    if (PRIMITIVES.has(base)) throw new Error(`${spec.name}: a primitive type with fields`);
    // Only arrays may be null: Kafka's nullable structs are not used by these messages.
    if (!array && spec.nullableVersions !== undefined) throw new Error(`${spec.name}: nullable struct`);
    elem = structPlan(spec.fields, version, flexible);
  } else if (PRIMITIVES.has(base)) elem = base as PrimitiveType;
  else throw new Error(`${spec.name}: unknown type '${spec.type}'`);
  return {
    name: spec.name,
    elem,
    array,
    nullable: inVersions(spec.nullableVersions, version),
    compact: flexible && (spec.flexibleVersions === undefined || inVersions(spec.flexibleVersions, version)),
    tag: tagged ? spec.tag : undefined,
    ignorable: spec.ignorable === true,
    makeDefault: defaultMaker(spec),
  };
}

const makers = new WeakMap<FieldSpec, () => unknown>();

/** Kafka's defaults: the declared one, else zero, false, "", empty, null records, [], a default struct. */
function defaultMaker(spec: FieldSpec): () => unknown {
  let maker = makers.get(spec);
  if (maker === undefined) makers.set(spec, (maker = newDefaultMaker(spec)));
  return maker;
}

/** A maker, not a value: arrays and structs must be fresh for each decoded message. */
function newDefaultMaker(spec: FieldSpec): () => unknown {
  if (spec.type.startsWith('[]')) {
    if (spec.default === null) return () => null;
    return () => [];
  }
  const fields = spec.fields;
  if (fields !== undefined) return () => defaultStruct(fields);
  const d = spec.default;
  if (d === null) return () => null;
  switch (spec.type as PrimitiveType) {
    case 'int64': {
      const v = BigInt(d ?? 0);
      return () => v;
    }
    case 'bool':
      return () => d ?? false;
    case 'string':
      return () => d ?? '';
    case 'uuid':
      return () => d ?? ZERO_UUID;
    case 'bytes':
      return () => EMPTY;
    case 'records':
      return () => null;
    default:
      return () => d ?? 0;
  }
}

function defaultStruct(fields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of fields) out[spec.name] = defaultMaker(spec)();
  return out;
}

function checkVersion(message: MessageSpec, version: number): void {
  if (!Number.isInteger(version) || !inVersions(message.validVersions, version)) {
    throw new ProtocolError(`${message.name} has no version ${version}`);
  }
}

export function messagePlan(message: MessageSpec, version: number): StructPlan {
  checkVersion(message, version);
  return structPlan(message.fields, version, inVersions(message.flexibleVersions, version));
}

/** Whether `version` of `message` uses compact forms and tagged fields. */
export function isFlexible(message: MessageSpec, version: number): boolean {
  return inVersions(message.flexibleVersions, version);
}
