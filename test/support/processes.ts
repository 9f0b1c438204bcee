/** The machine's processes, for tests that check what a stack leaves behind. */
import { spawnSync } from 'node:child_process';

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly args: string;
}

/** Every process: pid, parent pid and command line. */
export function processes(): Proc[] {
  const out = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }));
}

/** Whether `pid` runs; a zombie (dead, not yet reaped: a container's PID 1 may never reap) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return state !== '' && !state.startsWith('Z');
}
