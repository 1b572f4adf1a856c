/**
 * Which Node flags an actor's process may be started with. A spec's `execArgv` is handed to
 * `node` as it is, so `--inspect=127.0.0.1:19229` opened a debugger port that needs no token, and
 * `--eval`, `--require`, `--import` or a loader run code the actor spec never named. A head runs
 * actor processes with no flag but the tsx loader (which Troupe adds itself for .ts modules) and
 * the flags its owner trusts (an embedded cluster's own driver's), unless it was started with
 * `--allow-exec-argv`.
 */
import { InvalidArgumentError } from '../common/index.js';

/** What a head accepts in execArgv. */
export interface ExecArgvPolicy {
  /** Any flags (the head was started with `--allow-exec-argv`). Default false. */
  allowExecArgv?: boolean;
  /** Flags accepted besides the tsx loader, e.g. an embedded cluster's driver's own loader flags. */
  trustedExecArgv?: readonly string[];
}

/** Entries of one execArgv, and the longest entry. */
export const MAX_EXEC_ARGV = 64;
export const MAX_EXEC_ARG_LENGTH = 4096;

// Flags whose value may come as the next entry: a unit is the flag with that value.
const TAKES_VALUE = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
const LOADERS = new Set(['--import', '--loader', '--experimental-loader']);
const TSX = new Set(['tsx', 'tsx/esm']);

/** The execArgv split into flags, each with its separate value when it takes one. */
function units(argv: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(TAKES_VALUE.has(a) && i + 1 < argv.length ? [a, argv[++i]!] : [a]);
  }
  return out;
}

/** Whether a unit is the tsx loader, in any of the forms node takes. */
function isTsxLoader(unit: readonly string[]): boolean {
  const [flag, value] = unit.length === 2 ? unit : (unit[0]!.split(/=(.*)/s) as [string, string?]);
  return value !== undefined && LOADERS.has(flag!) && TSX.has(value);
}

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks an actor's execArgv (already known to be an array of strings) against the head's policy.
 * @throws InvalidArgumentError with field `execArgv[i]` naming the flag and the rule.
 */
export function checkExecArgv(argv: readonly string[], policy: ExecArgvPolicy = {}): void {
  if (argv.length > MAX_EXEC_ARGV) {
    throw new InvalidArgumentError(`execArgv must hold at most ${MAX_EXEC_ARGV} flags, got ${argv.length}`, {
      context: { field: 'execArgv' },
    });
  }
  const long = argv.findIndex((a) => a.length > MAX_EXEC_ARG_LENGTH || a.includes('\0'));
  if (long >= 0) {
    throw new InvalidArgumentError(
      `execArgv[${long}] must be at most ${MAX_EXEC_ARG_LENGTH} characters without NUL, got ${argv[long]!.length}`,
      { context: { field: `execArgv[${long}]` } },
    );
  }
  if (policy.allowExecArgv) return;
  const trusted = units(policy.trustedExecArgv ?? []);
  let at = 0;
  for (const unit of units(argv)) {
    if (!isTsxLoader(unit) && !trusted.some((t) => same(t, unit))) {
      const shown = JSON.stringify(unit.join(' ').slice(0, 80));
      throw new InvalidArgumentError(
        `execArgv[${at}] ${shown} is refused: this head starts actor processes with the tsx loader only; ` +
          'flags that open an inspector (--inspect*, --debug*) or run or load code (--eval, --print, --require, ' +
          '--import, --loader) need a head started with --allow-exec-argv',
        { context: { field: `execArgv[${at}]` } },
      );
    }
    at += unit.length;
  }
}
