/**
 * One `sluice local` per data folder: `<data-dir>/sluice.lock` holds the PID of the
 * process that owns the folder. Two DynamoDB Locals on one set of files corrupt each other.
 *
 * The lock file appears whole or not at all: the PID is written to a private file first,
 * which is then hard-linked to `sluice.lock` (link fails with EEXIST if the name is
 * taken, like open(..., 'wx'), but a reader never sees an empty file mid-write).
 *
 * A lock whose PID is not alive is stale (its owner was killed -9 or crashed) and is
 * taken over. Taking over is a rename of the stale file to a private name: of two
 * starters racing for the same stale lock only one rename succeeds, and if the file it
 * moved turns out to be someone's fresh lock rather than the stale one, it is put back.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../core/errors.ts';

/** The data folder is held by another live process; the message names its PID. */
export class DataDirLockedError extends SluiceError {
  readonly code = 'DATA_DIR_IN_USE';
  readonly status = 409;
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `data folder ${dataDir} is in use by process ${holderPid} (another sluice local? its lock is ` +
        `${join(dataDir, lockFileName)}): stop it or choose another --data-dir`,
      { details: { dataDir, holderPid } },
    );
  }
}

/** A held data folder lock. */
export interface DataDirLock {
  /** `<data-dir>/sluice.lock` */
  readonly path: string;
  /** Removes the lock if it is still ours. Synchronous so an 'exit' hook can call it; safe to call twice. */
  release(): void;
}

export const lockFileName = 'sluice.lock';

/**
 * Takes `<dataDir>/sluice.lock` for `pid` (default: this process), replacing a stale one.
 * The folder must exist. Throws DataDirLockedError if a live process holds it.
 */
export function lockDataDir(dataDir: string, pid: number = process.pid): DataDirLock {
  const path = join(dataDir, lockFileName);
  const draft = `${path}.${pid}.new`;
  writeFileSync(draft, `${pid}\n`);
  try {
    // Each pass either takes the lock, fails on a live holder, or removes a stale lock
    // and tries again; a handful covers any race with other starters.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, path);
        return held(path, pid);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPid(path);
      if (holder === undefined) continue; // removed in between: try again
      if (holder === pid) return held(path, pid);
      if (holder !== 'unreadable' && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
      removeStale(path, holder, pid);
    }
    throw new Error(`could not take ${path}: other processes keep replacing it; try again`);
  } finally {
    unlinkQuietly(draft);
  }
}

function held(path: string, pid: number): DataDirLock {
  let released = false;
  return {
    path,
    release(): void {
      if (released) return;
      released = true;
      // Never remove a lock someone else took over (after ours was judged stale).
      if (readPid(path) === pid) unlinkQuietly(path);
    },
  };
}

/** Moves the stale lock aside, unless what was moved is a fresh lock that appeared meanwhile. */
function removeStale(path: string, stale: number | 'unreadable', pid: number): void {
  const aside = `${path}.${pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another starter moved it
    throw error;
  }
  const moved = readPid(aside);
  if (moved !== stale && moved !== 'unreadable' && moved !== undefined && isAlive(moved)) {
    // We took a live process's lock: give it back (if a third starter got in between,
    // the next pass finds that one and fails on it).
    try {
      linkSync(aside, path);
    } catch {
      // The name is taken again: whoever holds it is seen on the next pass.
    }
  }
  unlinkQuietly(aside);
}

/** The PID in a lock file; undefined if there is no file, 'unreadable' if it holds no PID. */
function readPid(path: string): number | 'unreadable' | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return /^\d+$/.test(text.trim()) && pid > 0 ? pid : 'unreadable';
}

/** Whether a process with this PID exists (EPERM: it does, and belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
