import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Output and exit status of one run of the command. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A private build of the package under `.tmp/`, so a suite that rebuilds `dist/` at the same time
 * cannot hand this suite half-written files. Modules resolve from the repository's node_modules.
 */
export class CliBuild {
  readonly root: string;
  readonly bin: string;

  constructor(name: string) {
    const repo = resolve(__dirname, '..', '..');
    this.root = join(repo, '.tmp', `${name}-${process.pid}`);
    this.bin = join(this.root, 'dist', 'cli.js');
  }

  /** Compiles lib/ into the private folder and makes the command executable, as `npm run build` does. */
  build(): void {
    const repo = resolve(__dirname, '..', '..');
    mkdirSync(this.root, { recursive: true });
    copyFileSync(join(repo, 'package.json'), join(this.root, 'package.json'));
    const tsc = join(repo, 'node_modules', '.bin', 'tsc');
    const result = spawnSync(tsc, ['-p', join(repo, 'tsconfig.build.json'), '--outDir', join(this.root, 'dist')], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
    chmodSync(this.bin, 0o755);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Starts the command itself, not through `node`, so the shebang and file mode are tested too. */
  start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(this.bin, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs the command to its end; a run that takes longer than `timeoutMs` is killed. */
  run(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
    return collect(this.start(args, env), timeoutMs);
  }
}

/** Collects a child's output until it exits, killing it after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Stdout lines of a running command, recorded from the start so no early line is missed. */
export class LineWatcher {
  readonly #lines: string[] = [];
  readonly #waiters = new Set<() => void>();
  #partial = '';
  #exited = false;

  constructor(child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer | string) => {
      const parts = (this.#partial + String(chunk)).split('\n');
      this.#partial = parts.pop() ?? '';
      this.#lines.push(...parts);
      this.#notify();
    });
    child.once('exit', () => {
      this.#exited = true;
      this.#notify();
    });
  }

  /** Resolves with the first line that matches `pattern`, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const match = this.#find(pattern);
        if (match !== undefined) return finish(undefined, match);
        if (this.#exited) finish(new Error(`The command exited before printing a line matching ${pattern}`));
      };
      const timer = setTimeout(() => finish(new Error(`No line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error !== undefined) reject(error);
        else resolvePromise(match!);
      };
      this.#waiters.add(check);
      check();
    });
  }

  #find(pattern: RegExp): RegExpMatchArray | undefined {
    for (const line of this.#lines) {
      const match = pattern.exec(line);
      if (match !== null) return match;
    }
    return undefined;
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
