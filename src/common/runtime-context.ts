/**
 * Where code runs: the actor whose constructor or method is running (if any), and, in an actor host
 * process, how that process reaches its cluster. The worker sets both (actor-host-main.ts, the
 * actor runtime); the client reads them (`currentCluster()`, `getRuntimeContext()`, `connect()` inside
 * an actor) without the worker and the client importing each other.
 *
 * A process of its own (`isolation: 'process'`) holds one actor, which is the scope of everything
 * that runs there. A shared host runs many, so it tracks the scope through async continuations
 * (AsyncLocalStorage), which costs every promise a little: only shared hosts turn it on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** One actor as its own code sees it. */
export interface ActorScope {
  readonly actorId: string;
  readonly className: string;
  readonly nodeId: string;
  readonly namespace: string;
  /** The job it belongs to (its creator's); '' outside a job. */
  readonly jobId: string;
  /** Restarts before this incarnation (0 the first time). */
  readonly numRestarts: number;
  /** What the scheduler gave it: CPU, GPU, memory, custom resources. */
  readonly resources: Readonly<Record<string, number>>;
  /** GPU device ids given to it (CUDA_VISIBLE_DEVICES holds them too). */
  readonly gpuIds: readonly number[];
}

/** How an actor host process reaches its cluster; set once, by the host's entry. */
export interface HostRuntime {
  readonly headAddress: string;
  readonly token: string;
  readonly maxMessageBytes?: number;
  /** The host's own object plane (objects' ObjectPlane), shared by the clusters of its actors. */
  readonly plane: unknown;
}

/**
 * Kept on globalThis: an actor's module may load Troupe from another path than the host's own
 * (a linked package beside the sources), and both copies must see the same actors.
 */
interface RuntimeState {
  host: HostRuntime | undefined;
  tracking: AsyncLocalStorage<ActorScope> | undefined;
  live: Map<string, ActorScope>;
  goneHooks: Array<(actorId: string) => void>;
}
const KEY = Symbol.for('troupe.runtime-context');
const state: RuntimeState = ((globalThis as Record<symbol, RuntimeState | undefined>)[KEY] ??= {
  host: undefined,
  tracking: undefined,
  live: new Map(),
  goneHooks: [],
});
const { live, goneHooks } = state;

/** Marks this process as an actor host. */
export function setHostRuntime(runtime: HostRuntime): void {
  state.host = runtime;
}

/** This process holds (or may hold) several actors at once: track which one's code runs. */
export function trackActorScopes(): void {
  state.tracking ??= new AsyncLocalStorage<ActorScope>();
}

/** Set in actor host processes only. */
export function hostRuntime(): HostRuntime | undefined {
  return state.host;
}

/** An actor of this process came to life (before its constructor runs). */
export function actorStarted(scope: ActorScope): void {
  live.set(scope.actorId, scope);
}

/** An actor of this process is gone: whatever was made for it (its cluster handle) goes too. */
export function actorGone(actorId: string): void {
  if (!live.delete(actorId)) return;
  for (const hook of goneHooks) hook(actorId);
}

/** Called with the id of each actor of this process that goes. */
export function onActorGone(hook: (actorId: string) => void): void {
  goneHooks.push(hook);
}

/** Runs `fn` as actor `scope`: its code, and what it awaits, sees that scope. */
export function runAsActor<T>(scope: ActorScope, fn: () => T): T {
  return state.tracking ? state.tracking.run(scope, fn) : fn();
}

/**
 * The actor whose code is running: the scope being tracked in a shared host, or the one actor of
 * a process of its own. Undefined in a driver, and in a shared host outside any actor's code.
 */
export function currentActor(): ActorScope | undefined {
  if (state.tracking) return state.tracking.getStore();
  if (live.size === 1) return live.values().next().value;
  return undefined;
}

/** The live actors of this process (a shared host's), by id. */
export function liveActor(actorId: string): ActorScope | undefined {
  return live.get(actorId);
}
