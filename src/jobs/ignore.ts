/**
 * What a job's working directory leaves out: `.git`, `node_modules` (at any depth, whatever the
 * patterns say) and the patterns of a `.troupeignore` file at its root, read exactly as git reads a
 * .gitignore at a repository's root (the `ignore` package): character classes, `**`, anchoring,
 * folder-only patterns, `!` (which cannot bring back anything inside an excluded folder), escapes
 * and trailing spaces. Matching is case-sensitive, as git is on Linux.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const ALWAYS_IGNORED = ['.git', 'node_modules'];
export const IGNORE_FILE = '.troupeignore';

export class IgnoreRules {
  private readonly matcher: Ignore;

  /** `lines` are the lines of a `.troupeignore` file. */
  constructor(lines: string[] = []) {
    this.matcher = ignore({ ignorecase: false }).add(lines);
  }

  /** Reads `<root>/.troupeignore` when there is one. */
  static forDir(root: string): IgnoreRules {
    try {
      return new IgnoreRules(readFileSync(path.join(root, IGNORE_FILE), 'utf8').split(/\r?\n/));
    } catch {
      return new IgnoreRules();
    }
  }

  /** `rel` is a '/'-separated path below the root; a path inside an ignored folder is ignored too. */
  ignores(rel: string, isDir: boolean): boolean {
    if (rel.split('/').some((part) => ALWAYS_IGNORED.includes(part))) return true;
    // The package tells a folder from a file by a trailing '/'.
    return this.matcher.ignores(isDir ? `${rel}/` : rel);
  }
}
