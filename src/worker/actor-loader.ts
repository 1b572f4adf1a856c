/** Loads actor classes: imports each module once per process and finds the class it exports. */
import { ModuleLoadError } from '../common/index.js';
import { toImportable } from '../common/index.js';

export type ActorClass = new (...args: unknown[]) => Record<string, unknown>;

export class ActorLoader {
  /** Shared hosts create many actors of one class: each module is resolved once. */
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();

  /**
   * The class `exportName` of the module.
   * @throws ModuleLoadError naming the module, and the exports it has when the class is not one.
   */
  async load(actorId: string, moduleSpec: string, exportName: string): Promise<ActorClass> {
    let mod: Record<string, unknown>;
    try {
      let loading = this.modules.get(moduleSpec);
      if (!loading) {
        loading = import(toImportable(moduleSpec)) as Promise<Record<string, unknown>>;
        this.modules.set(moduleSpec, loading);
        // A failed import is not cached: the next actor of that module tries again.
        loading.catch(() => this.modules.delete(moduleSpec));
      }
      mod = await loading;
    } catch (err) {
      throw new ModuleLoadError(`cannot load actor module ${moduleSpec}: ${(err as Error).message}`, {
        cause: err,
        context: { actorId, module: moduleSpec },
      });
    }
    const cls = mod[exportName];
    if (typeof cls !== 'function') {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new ModuleLoadError(
        `module ${moduleSpec} has no class export '${exportName}'` +
          (exported.length
            ? `; its exported functions and classes are: ${exported.join(', ')}`
            : '; it exports no classes'),
        { context: { actorId, module: moduleSpec, exportName } },
      );
    }
    return cls as ActorClass;
  }
}
