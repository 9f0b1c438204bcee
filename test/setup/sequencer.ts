/**
 * The order files start in: longest first, so that neither worker is left running a long
 * file alone at the end. Vitest orders by the durations of the last run; with none (a
 * fresh clone, as in CI) it falls back to file size, which puts small but slow files,
 * those that start JVMs and child processes, last. Those run first here instead.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The slowest files of `npm test` on two cores, slowest first; the rest follow in Vitest's order. */
export const slowestFirst = [
  'test/integration/faults.test.ts',
  'test/e2e/local-processes.test.ts',
  'test/integration/emulators.test.ts',
  'test/e2e/readme.test.ts',
  'test/integration/idempotent.test.ts',
  'test/integration/concurrent-produce.test.ts',
  'test/unit/segment.test.ts',
  'test/integration/log.test.ts',
  'test/e2e/cli.test.ts',
];

export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Durations of a previous run for every file: Vitest's own order is the better guess.
    if (sorted.every((spec) => this.ctx.cache.getTestSpecificationResult(spec) !== undefined)) return sorted;
    const rank = (spec: TestSpecification) => {
      const at = slowestFirst.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return at === -1 ? slowestFirst.length : at;
    };
    return sorted
      .map((spec, index) => ({ spec, index }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
