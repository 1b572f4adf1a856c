import { InvalidArgumentError, errorToInfo, type TroupeError } from '../common/index.js';
import { decode } from '../objects/index.js';
import { hasLargeParts } from '../objects/index.js';
import { MAX_OBJECT_ID_BYTES } from '../transport/index.js';
import { approxWireBytes, messageTooLarge, splitBySize, tooLarge } from '../transport/index.js';
import type { ObjectPlane } from '../objects/index.js';
import { decodedRefCount } from '../objects/index.js';
import type { ActorInstance, CallRequest, Outcome, Reply } from './actor-runtime.js';
import type { CallsStream, WireBatch, WireCall, WireResult } from './call-wire.js';
import type { OwnerLeases } from './owner-leases.js';
import { decodeSystemRequest, isSystemMethod, type SystemRequest } from '../collective/index.js';

/** What the call streams need from the host that serves them. */
export interface CallHost {
  readonly objects: ObjectPlane;
  readonly leases: OwnerLeases;
  actor(actorId: string): ActorInstance | undefined;
  /** Runs a runtime request about a live actor. */
  system(actor: ActorInstance, req: SystemRequest): Promise<Outcome>;
  /** The error for a call to an actor that does not live here (any more). */
  unknownActor(actorId: string, method: string): TroupeError;
}

export class CallStreams {
  /** Names the large results kept here until their caller pulls them. */
  private readonly tempIds = { next: 0 };

  constructor(
    private readonly host: CallHost,
    private readonly maxBytes: number,
  ) {}

  serve(call: CallsStream): void {
    const maxBytes = this.maxBytes;
    let pending: WireResult[] = [];
    let sizes: number[] = [];
    let scheduled = false;
    let open = true;
    const flush = (): void => {
      scheduled = false;
      if (!open || pending.length === 0) return;
      const results = pending;
      const resultSizes = sizes;
      pending = [];
      sizes = [];
      // A message over the limit would end the stream and fail every call on it: split.
      for (const batch of splitBySize(results, resultSizes, maxBytes)) call.write({ results: batch });
    };
    const replyFor = (seq: number, actorId: string, method: string) => (outcome: Outcome) => {
      let result: WireResult;
      let size: number;
      if ('value' in outcome) {
        result = { seq, value: outcome.value };
        size = outcome.value.length + 32;
      } else if ('stored' in outcome) {
        result = { seq, stored: outcome.stored };
        size = approxWireBytes(outcome.stored) + 32;
      } else {
        result = { seq, error: outcome.error };
        size = approxWireBytes(outcome.error) + 32;
      }
      if (tooLarge(size, maxBytes)) {
        const what = 'value' in outcome ? `the result of ${method}` : `the error thrown by ${method}`;
        const error = errorToInfo(messageTooLarge(what, size, maxBytes, { actorId, method }));
        result = { seq, error };
        size = approxWireBytes(error) + 32;
      }
      pending.push(result);
      sizes.push(size);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    };
    let owner: string | undefined;
    call.on('data', (batch: WireBatch) => {
      if (owner === undefined && batch.ownerId) {
        owner = batch.ownerId;
        this.host.leases.opened(owner);
      }
      // The owner lets go (older callers; newer ones send FREE on the data plane): kept while borrowed.
      if (batch.free?.length) this.host.objects.store.ownerFree(batch.free);
      for (const c of batch.calls) {
        const actor = this.host.actor(c.actorId);
        if (actor && isSystemMethod(c.method)) {
          // Runtime requests about the actor (collective groups): not queued behind its calls.
          const reply = replyFor(c.seq, c.actorId, c.method);
          this.system(actor, c).then(reply, (err: unknown) => reply({ error: errorToInfo(err) }));
          continue;
        }
        if (actor && c.storeAs && Buffer.byteLength(c.storeAs) > MAX_OBJECT_ID_BYTES) {
          const err = new InvalidArgumentError(
            `store_as must be at most ${MAX_OBJECT_ID_BYTES} bytes, got ${Buffer.byteLength(c.storeAs)}`,
            {
              context: { field: 'store_as', actorId: c.actorId, method: c.method },
            },
          );
          replyFor(c.seq, c.actorId, c.method)({ error: errorToInfo(err) });
          continue;
        }
        if (actor) {
          actor.submit(
            new WireRequest(this.host.objects, c, owner ?? '', this.tempIds),
            replyFor(c.seq, c.actorId, c.method),
          );
          continue;
        }
        replyFor(c.seq, c.actorId, c.method)({ error: errorToInfo(this.host.unknownActor(c.actorId, c.method)) });
      }
    });
    let ended = false;
    const gone = (clean: boolean): void => {
      open = false;
      if (ended) return;
      ended = true;
      if (owner !== undefined) this.host.leases.closed(owner, clean);
    };
    call.on('end', () => {
      gone(true);
      call.end();
    });
    call.on('error', () => gone(false));
    call.on('cancelled', () => gone(false));
  }

  /** Decoded and checked here, once, before the host acts on it; a malformed one fails that call only. */
  private async system(actor: ActorInstance, c: WireCall): Promise<Outcome> {
    return this.host.system(actor, decodeSystemRequest(c.method, c.args, c.actorId));
  }
}

/**
 * One wire call as the actor runtime takes it: arguments pulled as needed, large results kept
 * here. A class, not a literal with closures: one is made per call on the hot path.
 */
class WireRequest implements CallRequest {
  reply: Reply | undefined = undefined;

  constructor(
    private readonly objects: ObjectPlane,
    private readonly c: WireCall,
    private readonly owner: string,
    private readonly tempIds: { next: number },
  ) {}

  get method(): string {
    return this.c.method;
  }

  args(): unknown[] | Promise<unknown[]> {
    const c = this.c;
    if (c.argsObject?.objectId) {
      return this.objects.fetch(c.argsObject, `the arguments of ${c.method}`) as Promise<unknown[]>;
    }
    const before = decodedRefCount();
    const args = decode<unknown[]>(c.args, `the arguments of ${c.method}`);
    return decodedRefCount() === before ? args : this.objects.resolveRefs(args);
  }

  /** Refs inside a result get one count each for its receiver (objects/borrow.ts). */
  result(value: unknown): Outcome {
    const c = this.c;
    if (!hasLargeParts(value)) return { value: this.objects.encodeMessage(value, `the result of ${c.method}`) };
    if (c.storeAs) {
      // Kept for a ref: a snapshot, so later changes to the returned arrays do not show.
      return { stored: this.objects.holdValue(c.storeAs, value, { owner: this.owner, snapshot: true }) };
    }
    // Pulled once by the caller, straight from the method's own memory.
    const id = `r.${this.owner}.${(this.tempIds.next++).toString(36)}`;
    return { stored: this.objects.holdValue(id, value, { owner: this.owner, once: true }) };
  }
}
