/**
 * `npm run bench`: against a local stack this process starts for itself, over real HTTP,
 *
 *   throughput  produce and consume records/s, and DynamoDB capacity units and S3
 *               requests per MiB (read from the server-side storage's UsageMeter);
 *   bulk, small what producing a GiB, sealing it and consuming it once costs in DynamoDB
 *               units, S3 requests and dollars at us-east-1 list prices (prices.ts),
 *               per GiB and per million records, beside Kinesis on-demand and MSK
 *               Serverless; small also runs its JSON variants, realistic JSON records
 *               through the SDK producer once per codec (small-json.ts), whose headline
 *               figures --json prints at the top level (smallJsonZstd: { storageUsdPerGiB,
 *               allInUsdPerGiB }, and the same for the other codecs);
 *   idempotence what an idempotent producer adds per batch: write units, read units and S3
 *               requests of the same requests sent plainly and idempotently;
 *   kafka       records/s produced through the Kafka gateway by kcat beside those produced
 *               over HTTP, and their ratio (only when asked for: it needs kcat).
 *
 *   npm run bench -- --scenario cost --json
 *   npm run bench -- --scenario throughput --records 20000 --producers 8
 *   npm run bench -- --scenario kafka --kafka-records 50000
 *
 * Times come from DynamoDB Local and s3rver on this machine; capacity units and requests
 * are what AWS would bill for the same calls.
 */
import { costHeadlines, costJson, costText } from './cost-report.ts';
import { costSpec, runCostScenario, type CostScenarioResult } from './cost.ts';
import { BenchError, describe, oneLine } from './http.ts';
import { runIdempotence, type IdempotenceResult } from './idempotence.ts';
import { idempotenceJson, idempotenceText } from './idempotence-report.ts';
import { kcatVersion, runKafka, type KafkaResult } from './kafka.ts';
import { kafkaJson, kafkaText } from './kafka-report.ts';
import { parseOptions, usageText, type BenchOptions } from './options.ts';
import { Progress } from './progress.ts';
import { throughputJson, throughputText, type BenchResult } from './report.ts';
import { startBenchStack, type BenchStack } from './stack.ts';
import { jsonSpecs, runJsonScenario } from './small-json.ts';
import { runThroughput } from './throughput.ts';

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench failed: ${describe(error)} (see --help)\n`);
    return 1;
  }
  if (options === 'help') {
    process.stdout.write(`${usageText}\n`);
    return 0;
  }

  const progress = new Progress(process.stderr);
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    // The first Ctrl-C stops cleanly; a second one leaves at once (the emulators' exit hook kills Java).
    if (++interrupts > 1) process.exit(130);
    interrupt.abort(new BenchError('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stack: BenchStack | undefined;
  let exitCode = 0;
  try {
    const kafka = options.scenarios.includes('kafka');
    // Before the stack's seconds of start-up: without kcat the scenario cannot run.
    if (kafka) kcatVersion();
    const setupStarted = performance.now();
    progress.note(`starting DynamoDB Local, the S3 emulator and the HTTP server${kafka ? ' and Kafka gateway' : ''}...`);
    stack = await startBenchStack({ kafka });
    if (interrupt.signal.aborted) throw interrupt.signal.reason;
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    progress.done(`stack: ready in ${setupSeconds.toFixed(1)} s at ${stack.url}${stack.kafka ? `, Kafka at ${stack.kafka}` : ''}`);

    let throughput: BenchResult | undefined;
    const cost: CostScenarioResult[] = [];
    let idempotence: IdempotenceResult | undefined;
    let kafkaResult: KafkaResult | undefined;
    for (const scenario of options.scenarios) {
      if (interrupt.signal.aborted) throw interrupt.signal.reason;
      if (scenario === 'throughput') throughput = await runThroughput(stack, options, setupSeconds, interrupt.signal, progress);
      else if (scenario === 'idempotence') idempotence = await runIdempotence(stack, options.idempotenceRequests, interrupt.signal, progress);
      else if (scenario === 'kafka') kafkaResult = await runKafka(stack, options, interrupt.signal, progress);
      else {
        cost.push(await runCostScenario(stack, costSpec(scenario, options), interrupt.signal, progress));
        if (scenario === 'small') {
          for (const spec of jsonSpecs(options)) {
            if (interrupt.signal.aborted) throw interrupt.signal.reason;
            cost.push(await runJsonScenario(stack, spec, interrupt.signal, progress));
          }
        }
      }
    }

    const ctx = { lambdaMb: options.lambdaMb };
    if (options.json) {
      // The throughput figures stay at the top level, where they always were.
      const json = {
        ...(throughput ? throughputJson(throughput) : { options, setupSeconds: Math.round(setupSeconds * 100) / 100 }),
        ...(cost.length > 0 ? { cost: costJson(cost, ctx), ...costHeadlines(cost, ctx) } : {}),
        ...(idempotence ? { idempotence: idempotenceJson(idempotence) } : {}),
        ...(kafkaResult ? { kafka: kafkaJson(kafkaResult) } : {}),
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      const lines = [
        ...(throughput ? throughputText(throughput) : []),
        ...(cost.length > 0 ? costText(cost, ctx) : []),
        ...(idempotence ? idempotenceText(idempotence) : []),
        ...(kafkaResult ? kafkaText(kafkaResult) : []),
      ];
      process.stdout.write(lines.join('\n'));
    }
  } catch (error) {
    progress.clear();
    const interrupted = interrupt.signal.aborted;
    let reason = describe(interrupted ? interrupt.signal.reason : error);
    const firstLog = stack?.serverLog[0];
    if (firstLog && !interrupted) reason += `; the server logged: ${oneLine(firstLog).slice(0, 300)}`;
    process.stderr.write(`bench failed: ${reason}\n`);
    exitCode = interrupted ? 130 : 1;
  } finally {
    progress.clear();
    // Stop everything; should a stop hang, leave anyway (the exit hook kills DynamoDB Local).
    const deadline = setTimeout(() => process.exit(exitCode || 1), 20_000);
    deadline.unref();
    await stack?.stop();
    clearTimeout(deadline);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

// Exit explicitly: idle keep-alive sockets must not hold the process open.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${describe(error)}\n`);
    process.exit(1);
  },
);
