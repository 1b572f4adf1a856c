/**
 * Entry of an actor host process, forked by the worker agent. Serves ActorService on a port of its
 * own and takes create/destroy orders over the IPC channel. Exits when its agent goes away, so a
 * killed agent never leaves orphans.
 */
import { configureLogging, flushLogs, setHostRuntime, trackActorScopes } from '../common/index.js';
import { errorToInfo } from '../common/index.js';
import type { ActorHost } from './actor-host.js';
import { ActorCount } from './actor-count.js';
import { ActorLoader } from './actor-loader.js';
import type { AgentToHost, HostToAgent } from './host-ipc.js';

const log = configureLogging({ file: process.env.TROUPE_LOG_FILE, name: 'actor-host' }).child({
  component: 'actor-host',
});
// The agent's first message carries the cluster token: never the environment, which actor code
// could read back from /proc/self/environ even after a delete from process.env.
let gotInit: (init: { token: string; headAddress: string }) => void = () => undefined;
const initReady = new Promise<{ token: string; headAddress: string }>((resolve) => (gotInit = resolve));

function send(msg: HostToAgent): void {
  process.send?.(msg);
}

// The agent sends an actor's module as soon as it forks this process. It is imported while
// Troupe's own modules (gRPC, the protos: most of a host's start) still load below, so a module
// that does not load or lacks the class fails after one module load, not after the whole start.
const loader = new ActorLoader();
let resolveHost!: (host: ActorHost) => void;
const hostReady = new Promise<ActorHost>((resolve) => (resolveHost = resolve));

// Actors in the cluster, pushed by the agent as heartbeats tell it; asked afresh through it (one
// call to the head) before a collective open larger than the count heard is refused.
const countAnswers = new Map<number, (count: number) => void>();
let countReqNo = 0;
const actorCount = new ActorCount(
  () =>
    new Promise<number>((resolve) => {
      const reqId = ++countReqNo;
      countAnswers.set(reqId, resolve);
      send({ type: 'count-actors', reqId });
    }),
);

process.on('message', (raw: AgentToHost) => {
  switch (raw.type) {
    case 'init':
      gotInit({ token: raw.token, headAddress: raw.headAddress });
      gotInit = () => undefined; // one host per process
      return;
    case 'create':
      for (const [k, v] of Object.entries(raw.env)) process.env[k] = v;
      if (raw.shared) trackActorScopes();
      loader
        .load(raw.actorId, raw.module, raw.exportName)
        .then(() => hostReady)
        .then(async (host) => {
          // Handles among the arguments need the client's codec, and the actor may use its cluster.
          await clientReady;
          const scope = { actorId: raw.actorId, className: raw.exportName, ...raw.scope };
          return host.create(scope, raw.module, raw.args, raw.maxConcurrency, raw.clusterToken);
        })
        .then(
          () => send({ type: 'created', reqId: raw.reqId }),
          (err: unknown) => {
            log.info({ actorId: raw.actorId, err: (err as Error).message }, 'actor creation failed');
            send({ type: 'create-failed', reqId: raw.reqId, error: errorToInfo(err) });
          },
        );
      return;
    case 'destroy':
      void hostReady.then((host) => host.destroy(raw.actorId, JSON.parse(raw.cause)));
      return;
    case 'actor-count': {
      if (raw.reqId === undefined) {
        actorCount.set(raw.count);
        return;
      }
      countAnswers.get(raw.reqId)?.(raw.count);
      countAnswers.delete(raw.reqId);
      return;
    }
    case 'tick':
      lastTick = Date.now();
      silenceMs = raw.silenceMs;
      return;
  }
});

let lastTick = Date.now();
let silenceMs = 0;
const CHECK_MS = 200;
let lastCheck = Date.now();
const judge = (): void => {
  if (silenceMs > 0 && Date.now() - lastTick > silenceMs) {
    log.warn({ silenceMs }, 'no word from the worker agent: stopping so that no actor of this node runs twice');
    flushLogs();
    process.exit(70);
  }
};
setInterval(() => {
  const now = Date.now();
  const stalled = now - lastCheck > CHECK_MS * 2;
  lastCheck = now;
  // Timers run before pending IPC messages are read: after this process's own event loop was
  // blocked (loading code, a long synchronous method), the agent's ticks may be waiting unread.
  // Such a check judges in the check phase of this same turn, after the poll phase has read them:
  // a frozen agent sent none, so its host still stops at once. (Passing the judgement to the next
  // check instead failed when two stalls came in a row: a host's start, then a long method.)
  if (stalled) setImmediate(judge);
  else judge();
}, CHECK_MS).unref();

process.on('disconnect', () => {
  flushLogs();
  process.exit(0);
});

process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection in actor code');
});

const { ActorHost: Host } = await import('./actor-host.js');
const init = await initReady;
const host = new Host({
  host: process.env.TROUPE_BIND_HOST ?? '127.0.0.1',
  token: init.token,
  maxMessageBytes: Number(process.env.TROUPE_MAX_MESSAGE_BYTES) || undefined,
  log,
  loader,
  actorCount,
});
setHostRuntime({
  headAddress: init.headAddress,
  token: init.token,
  maxMessageBytes: Number(process.env.TROUPE_MAX_MESSAGE_BYTES) || undefined,
  plane: host.objects,
});
// The client, for the actors here to use their cluster (currentCluster) and to pass actor handles:
// the one import of a higher layer, loaded while this process starts (see .dependency-cruiser.cjs).
const clientReady = import('../client/index.js').then(
  () => undefined,
  (err: unknown) => log.error({ err }, 'the client runtime did not load: actors here cannot use the cluster'),
);
resolveHost(host);
const port = await host.listen();
// One call to ourselves runs the server's connection and stream code once, so the first real
// caller does not pay for lazy compilation of those paths (tens of ms on a busy machine).
await host.warmUp(port).catch((err: unknown) => log.warn({ err }, 'warm-up call failed'));
send({ type: 'ready', port });
