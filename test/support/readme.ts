/**
 * The README's examples as data. An example is a fenced code block right after a marker
 * comment, which renders as nothing:
 *
 *   <!-- readme-test: console ... -->     a shell session: `$ command` lines, each
 *   ```console                            followed by what it prints; `…` in a line
 *   $ npx sluice topics list              matches any text, a line of only `…` any
 *   quickstart-events                     number of lines
 *   ```
 *
 *   <!-- readme-test: sdk ... -->         a program, run as it stands
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CodeBlock {
  /** `console`, `sdk`, or undefined for a block without a marker. */
  readonly marker: string | undefined;
  /** The fence's language, e.g. `console`, `js`. */
  readonly language: string;
  readonly code: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
  /** The `## ` heading the block is under. */
  readonly section: string;
}

/** Every fenced block of a Markdown text, with the marker comment right above it, if any. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) section = line.slice(3);
    const fence = /^```(\S*)\s*$/.exec(line);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`README line ${i + 1}: the code block is not closed`);
    const marker = /^<!-- readme-test: (\w+)/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({ marker, language: fence[1] ?? '', code: lines.slice(i + 1, end).join('\n'), line: i + 1, section });
    i = end;
  }
  return blocks;
}

export function readmeBlocks(root: string): CodeBlock[] {
  return codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
}

export interface ConsoleStep {
  /** The command as typed, continuation lines (ending in `\`) included. */
  readonly command: string;
  /** What the README shows it printing, stdout and stderr as a terminal mixes them. */
  readonly expected: readonly string[];
}

/** A console session's commands and their shown output (blank lines between steps dropped). */
export function consoleSteps(session: string): ConsoleStep[] {
  const steps: { command: string; expected: string[] }[] = [];
  const lines = session.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('$ ')) {
      let command = line.slice(2);
      while (command.endsWith('\\') && i + 1 < lines.length) command += '\n' + lines[++i];
      steps.push({ command, expected: [] });
    } else if (steps.length === 0) {
      if (line.trim() !== '') throw new Error(`output before the first command: ${line}`);
    } else {
      steps.at(-1)!.expected.push(line);
    }
  }
  for (const step of steps) while (step.expected.at(-1)?.trim() === '') step.expected.pop();
  return steps;
}

function lineMatcher(expected: string): RegExp {
  const pattern = expected
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`);
}

/** Whether `actual` lines are what `expected` shows, with `…` as a wildcard (see above). */
export function matchesShown(expected: readonly string[], actual: readonly string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [first, ...rest] = expected;
  if (first!.trim() === '…') {
    for (let skip = 0; skip <= actual.length; skip++) if (matchesShown(rest, actual.slice(skip))) return true;
    return false;
  }
  return actual.length > 0 && lineMatcher(first!).test(actual[0]!) && matchesShown(rest, actual.slice(1));
}
