/**
 * A fault injector for storage calls. Installed on a Storage's two clients, it numbers
 * every DynamoDB and S3 call in the order the code starts them, names each one
 * (`PutItemCommand segments`, `UpdateItemCommand partitions SET sealedOffset`,
 * `PutObjectCommand staged/`), and can make one of them fail:
 *
 *   before  the call never reaches storage: nothing happened, the caller sees an error
 *   after   the call reached storage and was answered (its effect, if any, happened),
 *           then the reply is lost: the caller sees an error instead
 *
 * and fail it in one of three ways: throw an InjectedFault; kill the whole process with
 * SIGKILL (a crashed Lambda: no `finally`, no further calls); or crash in place: throw,
 * and from then on no call of this storage reaches storage (a crashed Lambda as storage
 * sees it, without a process of its own).
 *
 * It sits in the `initialize` step, outside the SDK's retry middleware, and its error has
 * a name no retry strategy knows and no `$metadata`: the SDK never retries it by itself,
 * so what the test sees is how our own code handles the failure. It counts logical calls,
 * one per `send`, not HTTP attempts.
 *
 *   const faults = new FaultInjector(storage);
 *   const clean = await faults.recording(() => runJobs(storage, options));   // every call, named
 *   const run = await faults.failing({ at: 7, mode: 'after' }, () => runJobs(storage, options));
 *   faults.armRandom({ rate: 0.05, random });   // any call may fail, before or after, until disarmed
 */
import { writeSync } from 'node:fs';
import type { Storage } from '../../lib/storage/index.ts';

export type FaultMode = 'before' | 'after';
export type FaultEffect = 'throw' | 'kill' | 'crash';

export interface StorageCall {
  /** Position among the calls counted since the injector was last armed or cleared, from 0. */
  readonly index: number;
  readonly service: 'dynamodb' | 's3';
  readonly command: string;
  /** Command, table role or bucket folder, and for updates what they set: stable across runs. */
  readonly label: string;
}

/** Which call fails: by its index, or as the nth (from 1) call with a label. */
export type CallSelector = number | { readonly label: string; readonly occurrence?: number };

export interface FaultSpec {
  readonly at: CallSelector;
  readonly mode: FaultMode;
  /** @default 'throw' */
  readonly effect?: FaultEffect;
  /** How many selected calls fail: consecutive calls from an index, or consecutive matches of a label. @default 1 */
  readonly times?: number;
}

/** The injected error: a plain Error with a name that neither the SDK nor our code treats as retriable or definite. */
export class InjectedFault extends Error {
  constructor(
    readonly call: StorageCall,
    readonly mode: FaultMode,
  ) {
    super(`injected fault ${mode} call ${call.index} (${call.label})`);
    this.name = 'InjectedFault';
  }
}

/** Random faults: each call fails with probability `rate`, before or after (even odds). */
export interface RandomFaults {
  readonly rate: number;
  /** A seeded generator, so a failing run can be replayed. */
  readonly random: () => number;
}

/** mulberry32: a small seeded generator for repeatable random faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface FaultyRun<T> {
  readonly outcome: Outcome<T>;
  /** The call that failed, or undefined when the operation made fewer calls than the selector asks for. */
  readonly fired: StorageCall | undefined;
  /** Every call that failed (more than one when `times` asks for it). */
  readonly struck: readonly StorageCall[];
  readonly calls: readonly StorageCall[];
}

let installed = 0;

export class FaultInjector {
  private log: StorageCall[] = [];
  private fault: FaultSpec | undefined;
  private randomFaults: RandomFaults | undefined;
  /** Set by a 'crash' fault: every later call fails before it is sent. */
  private crashed = false;
  private matches = 0;
  private struck: StorageCall[] = [];
  private readonly roles: Map<string, string>;

  constructor(storage: Storage) {
    this.roles = new Map(Object.entries(storage.config.tables).map(([role, table]) => [table, role]));
    const name = `sluiceFaultInjector-${++installed}`;
    storage.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => this.intercept('dynamodb', context.commandName ?? '', args.input, () => next(args)),
      { step: 'initialize', priority: 'high', name },
    );
    storage.clients.s3.middlewareStack.add(
      (next, context) => async (args) => this.intercept('s3', context.commandName ?? '', args.input, () => next(args)),
      { step: 'initialize', priority: 'high', name },
    );
  }

  /** The calls counted since the injector was last armed or cleared. */
  get calls(): readonly StorageCall[] {
    return this.log;
  }

  /** The call that failed, once it has. */
  get fired(): StorageCall | undefined {
    return this.struck[0];
  }

  /** Starts counting afresh, with `spec` armed (or none: just record). */
  arm(spec?: FaultSpec): void {
    this.log = [];
    this.fault = spec;
    this.randomFaults = undefined;
    this.crashed = false;
    this.matches = 0;
    this.struck = [];
  }

  /** Starts counting afresh, failing calls at random (thrown, never killed) until disarmed. */
  armRandom(faults: RandomFaults): void {
    this.arm();
    this.randomFaults = faults;
  }

  /** Stops failing; counting goes on. */
  disarm(): void {
    this.fault = undefined;
    this.randomFaults = undefined;
  }

  /** Runs `op` with no fault and answers every storage call it made, in order. */
  async recording<T>(op: () => Promise<T>): Promise<{ value: T; calls: StorageCall[] }> {
    this.arm();
    const value = await op();
    return { value, calls: [...this.log] };
  }

  /** Runs `op` with the call(s) `spec` selects failing; the fault is disarmed afterwards. */
  async failing<T>(spec: FaultSpec, op: () => Promise<T>): Promise<FaultyRun<T>> {
    this.arm(spec);
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await op() };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      this.disarm();
    }
    return { outcome, fired: this.struck[0], struck: [...this.struck], calls: [...this.log] };
  }

  private async intercept<T>(service: StorageCall['service'], command: string, input: unknown, next: () => Promise<T>): Promise<T> {
    const call: StorageCall = { index: this.log.length, service, command, label: this.labelOf(service, command, input) };
    this.log.push(call);
    if (this.crashed) throw new InjectedFault(call, 'before');
    const fault = this.fault && this.selects(this.fault, call) ? this.fault : this.randomFault(call);
    if (fault?.mode === 'before') return this.strike(call, fault);
    if (fault?.mode !== 'after') return next();
    try {
      const result = await next();
      // The reply is lost: free the connection a streamed body would otherwise hold.
      (result as { output?: { Body?: { destroy?: () => void } } }).output?.Body?.destroy?.();
    } catch {
      // An error reply (a failed condition, say) is lost the same way.
    }
    return this.strike(call, fault);
  }

  private randomFault(call: StorageCall): FaultSpec | undefined {
    const chaos = this.randomFaults;
    if (!chaos || chaos.random() >= chaos.rate) return undefined;
    return { at: call.index, mode: chaos.random() < 0.5 ? 'before' : 'after' };
  }

  private selects({ at, times = 1 }: FaultSpec, call: StorageCall): boolean {
    if (typeof at === 'number') return call.index >= at && call.index < at + times;
    if (call.label !== at.label) return false;
    const match = ++this.matches;
    const first = at.occurrence ?? 1;
    return match >= first && match < first + times;
  }

  private strike(call: StorageCall, fault: FaultSpec): never {
    this.struck.push(call);
    if (fault.effect === 'kill') {
      // A crash: no reply, no `finally`, no further call of this process reaches storage.
      // The note on stderr (written synchronously) tells the parent where it died.
      writeSync(2, `${JSON.stringify({ killedAt: call, mode: fault.mode })}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (fault.effect === 'crash') this.crashed = true;
    throw new InjectedFault(call, fault.mode);
  }

  private labelOf(service: StorageCall['service'], command: string, input: unknown): string {
    const i = (input ?? {}) as {
      TableName?: string;
      RequestItems?: Record<string, unknown>;
      UpdateExpression?: string;
      Key?: unknown;
      Prefix?: string;
      Delete?: { Objects?: Array<{ Key?: string }> };
    };
    if (service === 'dynamodb') {
      const table = i.TableName ?? Object.keys(i.RequestItems ?? {})[0] ?? '';
      const update = /^\s*(SET|REMOVE|ADD|DELETE)\s+(\w+)/i.exec(i.UpdateExpression ?? '');
      return [command, this.roles.get(table) ?? table, ...(update ? [`${update[1]!.toUpperCase()} ${update[2]}`] : [])].join(' ');
    }
    const key = typeof i.Key === 'string' ? i.Key : (i.Prefix ?? i.Delete?.Objects?.[0]?.Key ?? '');
    const folder = key.includes('/') ? `${key.slice(0, key.indexOf('/'))}/` : key;
    return `${command} ${folder}`.trimEnd();
  }
}
