/**
 * How an actor's module is named: a URL (`file:`, `data:`, `node:`), a path (absolute, or relative
 * to the current directory), or a bare package name. The driver sends the normalized form, and the
 * actor host turns a path into a file URL to import it; both read the specifier the same way here.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A URL kept as written, a path (absolute as written, relative resolved), or a bare package name. */
export type ModuleSpecifier =
  | { type: 'url'; href: string }
  | { type: 'path'; path: string }
  | { type: 'bare'; name: string };

export function parseModuleSpecifier(module: URL | string): ModuleSpecifier {
  if (module instanceof URL) return { type: 'url', href: module.href };
  const isUrl = module.startsWith('file:') || module.startsWith('data:') || module.startsWith('node:');
  if (isUrl) return { type: 'url', href: module };
  if (path.isAbsolute(module)) return { type: 'path', path: module };
  if (module.startsWith('./') || module.startsWith('../')) return { type: 'path', path: path.resolve(module) };
  return { type: 'bare', name: module };
}

/** The specifier as a driver sends it: relative paths resolved against this process's directory. */
export function normalizeModule(module: URL | string): string {
  const s = parseModuleSpecifier(module);
  return s.type === 'url' ? s.href : s.type === 'path' ? s.path : s.name;
}

/** The specifier as `import()` takes it: paths become file URLs. */
export function toImportable(module: URL | string): string {
  const s = parseModuleSpecifier(module);
  return s.type === 'url' ? s.href : s.type === 'path' ? pathToFileURL(path.resolve(s.path)).href : s.name;
}
