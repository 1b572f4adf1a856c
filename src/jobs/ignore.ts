/**
 * What a job's working directory leaves out: `.git`, `node_modules` (at any depth) and the
 * patterns of a `.troupeignore` file at its root, a subset of .gitignore: `#` comments, `*` and
 * `?` within a name, `**` across folders, a leading `/` anchors to the root, a trailing `/` matches
 * folders only, `!` takes a path back in; the last matching line wins.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ALWAYS_IGNORED = ['.git', 'node_modules'];
export const IGNORE_FILE = '.troupeignore';

interface Rule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegExp(glob: string, anchored: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders, a trailing `**` everything below.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${anchored ? '^' : '^(?:.*/)?'}${re}(?:/.*)?$`);
}

export class IgnoreRules {
  private readonly rules: Rule[] = [];

  constructor(lines: string[] = []) {
    for (const raw of lines) {
      let line = raw.replace(/\s+$/, '');
      if (!line || line.startsWith('#')) continue;
      const negate = line.startsWith('!');
      if (negate) line = line.slice(1);
      const dirOnly = line.endsWith('/');
      if (dirOnly) line = line.slice(0, -1);
      const anchored = line.startsWith('/') || line.slice(0, -1).includes('/');
      if (line.startsWith('/')) line = line.slice(1);
      if (line) this.rules.push({ re: globToRegExp(line, anchored), negate, dirOnly });
    }
  }

  /** Reads `<root>/.troupeignore` when there is one. */
  static forDir(root: string): IgnoreRules {
    try {
      return new IgnoreRules(readFileSync(path.join(root, IGNORE_FILE), 'utf8').split('\n'));
    } catch {
      return new IgnoreRules();
    }
  }

  /** `rel` is a '/'-separated path below the root. */
  ignores(rel: string, isDir: boolean): boolean {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (ALWAYS_IGNORED.includes(base)) return true;
    let ignored = false;
    for (const r of this.rules) {
      if (r.dirOnly && !isDir) continue;
      if (r.re.test(rel)) ignored = !r.negate;
    }
    return ignored;
  }
}
