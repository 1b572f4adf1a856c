/**
 * One way for every benchmark to read its flags: `node:util` parseArgs with declared flags, each
 * `--name value` or `--name=value`, and a UsageError (ending with the benchmark's usage line) that
 * names an unknown flag, a stray argument, a missing value or a malformed one.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './sections.js';

interface IntFlag {
  kind: 'int';
  min: number;
  default: number;
}

interface IntListFlag {
  kind: 'ints';
  min: number;
  default: number[];
}

interface ChoiceFlag<T extends string> {
  kind: 'choice';
  choices: readonly T[];
  default: T;
}

type Flag = IntFlag | IntListFlag | ChoiceFlag<string>;

type FlagValue<F> = F extends IntFlag
  ? number
  : F extends IntListFlag
    ? number[]
    : F extends ChoiceFlag<infer T>
      ? T
      : never;

type FlagValues<S extends Record<string, Flag>> = { [K in keyof S]: FlagValue<S[K]> };

/** An integer ≥ `min`. */
export const int = (min: number, fallback: number): IntFlag => ({ kind: 'int', min, default: fallback });

/** A comma-separated list of integers ≥ `min`. */
export const ints = (min: number, fallback: number[]): IntListFlag => ({ kind: 'ints', min, default: fallback });

/** One of `choices`; the default may be a value outside them (such as 'all'). */
export const choice = <T extends string>(choices: readonly T[], fallback: T): ChoiceFlag<T> => ({
  kind: 'choice',
  choices,
  default: fallback,
});

function convert(rawName: string, flag: Flag, v: string, usage: string): number | number[] | string {
  const bad = (what: string): UsageError => new UsageError(`${rawName} needs ${what}, got ${v || 'nothing'}\n${usage}`);
  const isInt = (s: string, min: number): boolean => s.trim() !== '' && Number.isInteger(Number(s)) && Number(s) >= min;
  switch (flag.kind) {
    case 'int':
      if (!isInt(v, flag.min)) throw bad(`an integer ≥ ${flag.min}`);
      return Number(v);
    case 'ints': {
      const parts = v.split(',');
      if (!parts.every((p) => isInt(p, flag.min))) throw bad(`a comma-separated list of integers ≥ ${flag.min}`);
      return parts.map(Number);
    }
    case 'choice':
      if (!flag.choices.includes(v)) throw bad(`one of ${flag.choices.join(', ')}`);
      return v;
  }
}

/** Reads `args` against `flags` (keyed by the name after `--`); a flag not given takes its default. */
export function parseFlags<S extends Record<string, Flag>>(args: string[], flags: S, usage: string): FlagValues<S> {
  const options = Object.fromEntries(Object.keys(flags).map((name) => [name, { type: 'string' as const }]));
  // Not strict: every token comes back, so the errors below can name the offending one themselves.
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const out: Record<string, number | number[] | string> = Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [name, flag.default]),
  );
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument ${token.value}\n${usage}`);
    if (token.kind === 'option-terminator') continue;
    const flag = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
    if (!flag || !token.rawName.startsWith('--')) throw new UsageError(`unknown flag ${token.rawName}\n${usage}`);
    if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value\n${usage}`);
    out[token.name] = convert(token.rawName, flag, token.value, usage);
  }
  return out as FlagValues<S>;
}
