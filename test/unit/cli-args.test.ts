import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ConnectionError, RemoteError, errorFromResponse } from '../../lib/client/errors.ts';
import { commonHelp, dashValuesJoined, globalOptions, parseFlags, parseIntFlag, parseProperties, resolveEndpoints, type CommandSpec } from '../../lib/cli/args.ts';
import { consumeSpec, startFrom, textFormatFrom } from '../../lib/cli/consume.ts';
import { InputError, UsageError } from '../../lib/cli/errors.ts';
import { decodeRecord, defaultTextFormat, formatJson, formatText, type ConsumedRecord } from '../../lib/cli/format.ts';
import { defaultMaxLineBytes, LineReader, LineTooLongError, lineFormatFrom, parseLine } from '../../lib/cli/lines.ts';
import { describeFailure } from '../../lib/cli/main.ts';
import { bareCompressionCodec, compressionFrom, produceSpec, toMessages } from '../../lib/cli/produce.ts';
import { CompressionTypes } from '../../lib/client/index.ts';
import { groupsSpecs, parseTopicSelection } from '../../lib/cli/groups.ts';
import { triggerSpec } from '../../lib/cli/trigger.ts';
import { consoleSpec } from '../../lib/cli/console.ts';
import { clock, describeDeferral, jobsSpec } from '../../lib/cli/jobs.ts';
import { formatConfig, parseConfigEntries, parseConfigList, parseConfigNames } from '../../lib/cli/topic-config.ts';
import { formatDescription, topicsSpecs } from '../../lib/cli/topics.ts';

describe('topic config keys', () => {
  test('Kafka keys map to the API camelCase keys with typed values', () => {
    expect(
      parseConfigEntries([
        'retention.ms=86400000',
        'retention.bytes=-1',
        'cleanup.policy=compact',
        'max.message.bytes=1048576',
        'segment.bytes=67108864',
        'segment.ms=600000',
        'delete.retention.ms=3600000',
        'compression.type=zstd',
      ]),
    ).toEqual({
      retentionMs: 86_400_000,
      retentionBytes: -1,
      cleanupPolicy: 'compact',
      maxMessageBytes: 1_048_576,
      segmentBytes: 67_108_864,
      segmentMs: 600_000,
      deleteRetentionMs: 3_600_000,
      compressionType: 'zstd',
    });
  });

  test('camelCase keys work too', () => {
    expect(parseConfigEntries(['retentionMs=5', 'cleanupPolicy=delete'])).toEqual({ retentionMs: 5, cleanupPolicy: 'delete' });
  });

  test('an unknown key names the known ones', () => {
    expect(() => parseConfigEntries(['retention.hours=1'])).toThrow(
      new UsageError(
        "unknown config 'retention.hours' (known: cleanup.policy, retention.ms, retention.bytes, max.message.bytes, segment.bytes, segment.ms, delete.retention.ms, compression.type)",
      ),
    );
  });

  test.each([
    [['retention.ms=1d'], "retention.ms must be an integer, not '1d'"],
    [['cleanup.policy=compact,delete'], "cleanup.policy must be delete or compact, not 'compact,delete'"],
    [['retention.ms'], "--config takes key=value, not 'retention.ms'"],
    [['retention.ms=1', 'retentionMs=2'], 'config retention.ms is given twice'],
  ])('%j is refused: %s', (entries, message) => {
    expect(() => parseConfigEntries(entries)).toThrow(new UsageError(message));
  });

  test('configs print with Kafka names, known keys first', () => {
    expect(formatConfig({ retentionMs: 1000, cleanupPolicy: 'delete', futureKey: 'x', segmentMs: undefined })).toBe(
      'cleanup.policy=delete,retention.ms=1000,futureKey=x',
    );
  });
});

describe('topics describe', () => {
  test('prints kafka-topics style header and one line per partition, in partition order', () => {
    const text = formatDescription({
      name: 'orders',
      topicId: '0b0c3a52-8f59-4d1e-9d52-6c1b0b7d0f11',
      partitions: [
        { partition: 1, logStartOffset: 0, highWatermark: 7 },
        { partition: 0, logStartOffset: 3, highWatermark: 12 },
      ],
      config: { cleanupPolicy: 'delete', retentionMs: 604_800_000 },
    });
    expect(text).toBe(
      'Topic: orders\tTopicId: 0b0c3a52-8f59-4d1e-9d52-6c1b0b7d0f11\tPartitionCount: 2\tConfigs: cleanup.policy=delete,retention.ms=604800000\n' +
        '\tTopic: orders\tPartition: 0\tLogStartOffset: 3\tHighWatermark: 12\n' +
        '\tTopic: orders\tPartition: 1\tLogStartOffset: 0\tHighWatermark: 7\n',
    );
  });
});

describe('--property', () => {
  const known = ['print.key', 'key.separator'];
  test('key=value pairs, a bare key means true, the later entry wins', () => {
    const properties = parseProperties(['print.key', 'key.separator=:', 'key.separator==>'], known);
    expect([...properties]).toEqual([
      ['print.key', 'true'],
      ['key.separator', '=>'],
    ]);
  });
  test('an unknown property is a usage error', () => {
    expect(() => parseProperties(['print.sth=true'], known)).toThrow(
      new UsageError("unknown property 'print.sth' (known: print.key, key.separator)"),
    );
  });
  test('console consumer print.* properties shape the text format', () => {
    const format = textFormatFrom(
      parseProperties(['print.timestamp=true', 'print.offset=TRUE', 'key.separator= | '], ['print.timestamp', 'print.offset', 'key.separator']),
      true,
    );
    expect(format).toMatchObject({ printTimestamp: true, printOffset: true, printKey: true, printPartition: false, keySeparator: ' | ' });
    expect(() => textFormatFrom(new Map([['print.key', 'yes']]), false)).toThrow(
      new UsageError("property print.key must be true or false, not 'yes'"),
    );
  });
});

describe('produce --compression-codec', () => {
  test("kafka-console-producer's codec names become the SDK's CompressionTypes; none when not given", () => {
    expect(['none', 'gzip', 'snappy', 'lz4', 'zstd', 'ZSTD'].map(compressionFrom)).toEqual([
      CompressionTypes.None,
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
      CompressionTypes.ZSTD,
    ]);
    expect(compressionFrom(undefined)).toBe(CompressionTypes.None);
  });

  test('another value is a usage error naming the codecs', () => {
    expect(() => compressionFrom('brotli')).toThrow(new UsageError("--compression-codec must be one of none, gzip, snappy, lz4, zstd, not 'brotli'"));
    expect(() => compressionFrom('')).toThrow(UsageError);
    expect(() => compressionFrom('1')).toThrow(UsageError);
  });

  test('the flag without a value means gzip, as in Kafka', () => {
    expect(bareCompressionCodec(['--topic', 't', '--compression-codec'])).toEqual(['--topic', 't', '--compression-codec=gzip']);
    expect(bareCompressionCodec(['--compression-codec', '--topic', 't'])).toEqual(['--compression-codec=gzip', '--topic', 't']);
    expect(bareCompressionCodec(['--compression-codec', 'lz4', '--topic', 't'])).toEqual(['--compression-codec', 'lz4', '--topic', 't']);
  });
});

describe('producer lines', () => {
  test('--key-separator splits at the first occurrence', () => {
    const format = lineFormatFrom('::', undefined, undefined, undefined);
    const parsed = parseLine(Buffer.from('user-1::a::b'), 1, format);
    expect(parsed.key?.toString()).toBe('user-1');
    expect(parsed.value?.toString()).toBe('a::b');
  });

  test('a line without the separator is an error naming its line number', () => {
    const format = lineFormatFrom(':', undefined, undefined, undefined);
    expect(() => parseLine(Buffer.from('no separator here'), 7, format)).toThrow(
      new InputError('line 7: no key separator ":" found'),
    );
  });

  test('parse.key=true uses key.separator, or a tab by default; no key parsing without it', () => {
    expect(lineFormatFrom(undefined, true, undefined, undefined).keySeparator).toBe('\t');
    expect(lineFormatFrom(undefined, true, '=', undefined).keySeparator).toBe('=');
    expect(lineFormatFrom(undefined, undefined, '=', undefined).keySeparator).toBeUndefined();
    expect(lineFormatFrom(':', false, undefined, undefined).keySeparator).toBeUndefined();
    expect(parseLine(Buffer.from('a:b'), 1, {})).toEqual({ key: null, value: Buffer.from('a:b') });
    expect(() => lineFormatFrom(':', undefined, '=', undefined)).toThrow(UsageError);
  });

  test('null.marker sends null (a tombstone value)', () => {
    const parsed = parseLine(Buffer.from('k1:NULL'), 1, { keySeparator: ':', nullMarker: 'NULL' });
    expect(parsed).toEqual({ key: Buffer.from('k1'), value: null });
  });

  test('lines split across chunks, CRLF and a last line without newline', async () => {
    const reader = new LineReader(Readable.from([Buffer.from('one\r\ntw'), Buffer.from('o\n\nthr'), Buffer.from('ee')]));
    const lines: string[] = [];
    for (let line = await reader.next(); line !== undefined; line = await reader.next()) lines.push(line.toString());
    expect(lines).toEqual(['one', 'two', '', 'three']);
  });

  test('a batch goes to the SDK as text when it is UTF-8, else as bytes', () => {
    const text = toMessages([{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: null, value: null }], 2);
    expect(text).toEqual([{ key: 'k', value: 'v', partition: 2 }, { value: null, partition: 2 }]);
    const binary = toMessages([{ key: null, value: Buffer.from([0xff, 0x00]) }], undefined);
    expect(binary).toEqual([{ value: Buffer.from([0xff, 0x00]) }]);
  });
});

describe('line length limit', () => {
  async function readAll(reader: LineReader): Promise<{ lines: string[]; error?: unknown }> {
    const lines: string[] = [];
    try {
      for (let line = await reader.next(); line !== undefined; line = await reader.next()) lines.push(line.toString());
    } catch (error) {
      return { lines, error };
    }
    return { lines };
  }

  test('the default limit is the API request limit, 1 MiB', () => {
    expect(defaultMaxLineBytes).toBe(1024 * 1024);
  });

  test('a line of exactly the limit passes, CRLF not counted, even split across chunks', async () => {
    const reader = new LineReader(Readable.from([Buffer.from('abc'), Buffer.from('de\r'), Buffer.from('\nfghij\n')]), 5);
    expect(await readAll(reader)).toEqual({ lines: ['abcde', 'fghij'] });
  });

  test('the lines before a long one are handed out, then an error names the long line', async () => {
    const reader = new LineReader(Readable.from([Buffer.from('ok\nfine\n'), Buffer.from('toolong'), Buffer.from('x\nnever\n')]), 5);
    const { lines, error } = await readAll(reader);
    expect(lines).toEqual(['ok', 'fine']);
    expect(error).toEqual(new LineTooLongError(3, 5));
    expect((error as Error).message).toBe('line 3 is longer than 5 bytes (the limit; see --max-line-bytes)');
    expect(error).toBeInstanceOf(InputError);
  });

  test('an endless line without a newline is refused once the limit is passed, without reading the rest', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    async function* endless() {
      for (;;) {
        pulled++;
        yield chunk;
      }
    }
    const reader = new LineReader(endless(), 1024 * 1024);
    await expect(reader.next()).rejects.toThrow(LineTooLongError);
    expect(pulled).toBe(17); // 16 chunks make exactly 1 MiB; the 17th passes it
  });

  test('100 MB without a newline costs linear time (no re-copying of what was read)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = Math.ceil((100 * 1024 * 1024) / chunk.length);
    async function* source() {
      for (let i = 0; i < chunks; i++) yield chunk;
    }
    // A limit above the input: the whole 100 MB is held as one line, read in linear time.
    const started = performance.now();
    const reader = new LineReader(source(), 200 * 1024 * 1024);
    const line = await reader.next();
    expect(line?.length).toBe(chunks * chunk.length);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('consumer output', () => {
  const record: ConsumedRecord = {
    topic: 't',
    partition: 2,
    offset: 41,
    timestamp: 1_700_000_000_000,
    key: Buffer.from('k'),
    value: Buffer.from('hello'),
    headers: [
      ['a', Buffer.from('1')],
      ['b', Buffer.from('2')],
    ],
  };

  test('values alone by default', () => {
    expect(formatText(record, defaultTextFormat).toString()).toBe('hello\n');
  });

  test('fields in Kafka order joined by the key separator', () => {
    const format = { ...defaultTextFormat, printTimestamp: true, printPartition: true, printOffset: true, printHeaders: true, printKey: true };
    expect(formatText(record, format).toString()).toBe('CreateTime:1700000000000\tPartition:2\tOffset:41\ta:1,b:2\tk\thello\n');
    expect(formatText({ ...record, key: null, value: null, headers: [] }, format).toString()).toBe(
      'CreateTime:1700000000000\tPartition:2\tOffset:41\tNO_HEADERS\tnull\tnull\n',
    );
  });

  test('JSON lines carry text, or base64 with an encoding field for binary bytes', () => {
    expect(JSON.parse(formatJson(record))).toEqual({
      topic: 't',
      partition: 2,
      offset: 41,
      timestamp: 1_700_000_000_000,
      key: 'k',
      value: 'hello',
      headers: { a: '1', b: '2' },
    });
    const binary = JSON.parse(formatJson({ ...record, value: Buffer.from([0xc3]), headers: [] }));
    expect(binary).toMatchObject({ key: 'aw==', value: 'ww==', encoding: 'base64' });
  });

  test('fetched base64 fields decode to bytes', () => {
    const decoded = decodeRecord('t', 0, { offset: 1, timestamp: 2, key: null, value: 'aGk=', headers: { h: 'eA==' } });
    expect(decoded).toEqual({ topic: 't', partition: 0, offset: 1, timestamp: 2, key: null, value: Buffer.from('hi'), headers: [['h', Buffer.from('x')]] });
  });
});

describe('flags', () => {
  test('the endpoint comes from --endpoint, --bootstrap-server, SLUICE_ENDPOINT, then the local default', () => {
    expect(resolveEndpoints({ endpoint: 'http://a:1' }, { SLUICE_ENDPOINT: 'http://env:2' })).toEqual(['http://a:1']);
    expect(resolveEndpoints({ 'bootstrap-server': 'b:9092' }, { SLUICE_ENDPOINT: 'http://env:2' })).toEqual(['http://b:9092']);
    expect(resolveEndpoints({}, { SLUICE_ENDPOINT: 'https://env.example/prod' })).toEqual(['https://env.example/prod']);
    expect(resolveEndpoints({}, {})).toEqual(['http://127.0.0.1:8790']);
    expect(() => resolveEndpoints({ endpoint: 'http://a:1', 'bootstrap-server': 'b:2' }, {})).toThrow(UsageError);
  });

  test('a --bootstrap-server list gives the endpoints in order; hosts without a scheme become http://', () => {
    expect(resolveEndpoints({ 'bootstrap-server': 'a:1, b:2,https://c.example' }, {})).toEqual(['http://a:1', 'http://b:2', 'https://c.example']);
    expect(() => resolveEndpoints({ 'bootstrap-server': ' , ' }, {})).toThrow(UsageError);
  });

  test('negative numbers after a flag that takes a value are its value, not a flag', () => {
    const options = { 'shift-by': { type: 'string' }, offset: { type: 'string' }, execute: { type: 'boolean' } } as const;
    expect(dashValuesJoined(['--shift-by', '-2', '--execute'], options)).toEqual(['--shift-by=-2', '--execute']);
    expect(dashValuesJoined(['--offset', '-1'], options)).toEqual(['--offset=-1']);
    // A flag after a flag is still a flag (the missing value is reported), and -h is help.
    expect(dashValuesJoined(['--offset', '--execute'], options)).toEqual(['--offset', '--execute']);
    expect(dashValuesJoined(['--offset', '-h'], { ...options, ...globalOptions })).toEqual(['--offset', '-h']);
    expect(parseFlags(['--shift-by', '-2'], options, 'groups reset-offsets')).toMatchObject({ 'shift-by': '-2' });
  });

  test('--offset -1 and -2 are latest and earliest, as in Kafka', () => {
    expect(startFrom('-1', false, undefined)).toBe('latest');
    expect(startFrom('-2', false, undefined)).toBe('earliest');
    expect(() => startFrom('-3', false, 0)).toThrow(UsageError);
  });

  test('integers are checked', () => {
    expect(parseIntFlag('--partitions', '3', 1)).toBe(3);
    expect(() => parseIntFlag('--partitions', '0', 1)).toThrow(new UsageError("--partitions must be an integer >= 1, not '0'"));
    expect(() => parseIntFlag('--partition', '1.5')).toThrow(UsageError);
  });

  test('start position: latest by default, earliest with --from-beginning, a number needs --partition', () => {
    expect(startFrom(undefined, false, undefined)).toBe('latest');
    expect(startFrom(undefined, true, undefined)).toBe('earliest');
    expect(startFrom('earliest', false, undefined)).toBe('earliest');
    expect(startFrom('17', false, 0)).toBe(17);
    expect(() => startFrom('17', false, undefined)).toThrow(new UsageError('--offset N needs --partition'));
    expect(() => startFrom('latest', true, undefined)).toThrow(UsageError);
  });
});

describe('help', () => {
  const commands: Array<[string, CommandSpec]> = [
    ...Object.entries(topicsSpecs).map(([sub, spec]): [string, CommandSpec] => [`topics ${sub}`, spec]),
    ...Object.entries(groupsSpecs).map(([sub, spec]): [string, CommandSpec] => [`groups ${sub}`, spec]),
    ['produce', produceSpec],
    ['consume', consumeSpec],
    ['jobs run', jobsSpec],
    ['trigger', triggerSpec],
    ['console', consoleSpec],
  ];

  test.each(commands)('sluice %s --help names every flag its parser takes', (_, spec) => {
    const options = { ...globalOptions, ...spec.options };
    for (const [name, option] of Object.entries(options)) {
      expect(spec.help).toMatch(new RegExp(`(^|\\s)--${name}(\\s|=|$)`, 'm'));
      if ('short' in option && option.short) expect(spec.help).toContain(`-${option.short},`);
    }
    expect(spec.help).toContain(commonHelp);
  });
});

describe('groups and topics flags', () => {
  test('--topic T:0,2 selects partitions; T alone all of them', () => {
    expect(parseTopicSelection('orders')).toEqual({ topic: 'orders' });
    expect(parseTopicSelection('orders:2,0,2')).toEqual({ topic: 'orders', partitions: [0, 2] });
    expect(() => parseTopicSelection('orders:x')).toThrow(UsageError);
    expect(() => parseTopicSelection(':1')).toThrow(UsageError);
  });

  test('--add-config takes comma lists; --delete-config restores defaults', () => {
    expect(parseConfigEntries(parseConfigList(['retention.ms=5,segment.ms=1000', 'cleanup.policy=compact']))).toEqual({
      retentionMs: 5,
      segmentMs: 1000,
      cleanupPolicy: 'compact',
    });
    expect(parseConfigNames(['retention.ms,cleanup.policy', 'segmentMs'])).toEqual({ retentionMs: 604_800_000, cleanupPolicy: 'delete', segmentMs: 600_000 });
    expect(() => parseConfigNames(['retention.hours'])).toThrow(UsageError);
  });
});

describe('jobs report lines', () => {
  const now = new Date(2026, 10, 25, 14, 0, 0).getTime();

  test('what was left for later, with its due time and the setting behind it', () => {
    expect(describeDeferral({ job: 'seal', records: 12, dueAt: now + 2 * 60_000 + 10_000, reason: 'segment.ms' }, now)).toBe(
      '12 record(s) unsealed, due at 14:02:10 (segment.ms)',
    );
    expect(describeDeferral({ job: 'retention', records: 100, dueAt: now + 3_600_000, reason: 'retention.ms' }, now)).toBe(
      '100 record(s) kept until retention drops them, due at 15:00:00 (retention.ms)',
    );
    expect(describeDeferral({ job: 'seal', records: 1, dueAt: now, reason: 'seal.min.age' }, now)).toBe('1 record(s) unsealed, due now (seal.min.age)');
  });

  test('another day shows its date', () => {
    expect(clock(now + 24 * 3_600_000, now)).toBe('2026-11-26 14:00:00');
  });
});

describe('error lines', () => {
  test('an API error shows its code and message', () => {
    const error = errorFromResponse(404, { error: { code: 'TOPIC_NOT_FOUND', message: "topic 'x' does not exist", topic: 'x' } });
    expect(describeFailure(error, ['topics', 'describe'])).toEqual({ line: "TOPIC_NOT_FOUND: topic 'x' does not exist", code: 1 });
  });
  test('an unreachable local endpoint points at sluice local; a remote one shows the cause', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(describeFailure(new ConnectionError('http://127.0.0.1:8790', refused), ['topics', 'list'])).toEqual({
      line: "cannot reach http://127.0.0.1:8790 (is 'sluice local' running?)",
      code: 1,
    });
    expect(describeFailure(new ConnectionError('https://api.example', refused), [])).toEqual({
      line: 'cannot reach https://api.example (ECONNREFUSED)',
      code: 1,
    });
  });
  test('a usage error points at the right help and exits 2', () => {
    expect(describeFailure(new UsageError('missing required --topic'), ['topics', 'create'])).toEqual({
      line: "missing required --topic (see 'sluice topics create --help')",
      code: 2,
    });
    expect(describeFailure(new UsageError("unknown command 'x'"), ['x'])).toEqual({
      line: "unknown command 'x' (see 'sluice --help')",
      code: 2,
    });
  });
  test('a server error keeps its retriable flag', () => {
    expect(new RemoteError('UNAVAILABLE', 503, 'busy').retriable).toBe(true);
  });
});
