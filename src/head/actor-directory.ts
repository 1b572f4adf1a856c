import { EventEmitter } from 'node:events';
import type { DeathCause, ErrorInfo } from '../common/index.js';
import type { Allocation } from './scheduler.js';
import type { ValidSpec } from './spec.js';

export type ActorState = 'PENDING' | 'CREATING' | 'ALIVE' | 'RESTARTING' | 'DEAD';

export interface ActorRecord {
  actorId: string;
  spec: ValidSpec;
  ownerId: string;
  state: ActorState;
  nodeId: string;
  address: string;
  pid: number;
  allocation: Allocation | undefined;
  death: DeathCause | undefined;
  deathError: ErrorInfo | undefined;
  numRestarts: number;
  createdAtMs: number;
  /** Reloaded from the store by a restarted head and not placed since: its node must vouch for it. */
  restored?: boolean;
}

const nameKey = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

/** Actors by id and by (namespace, name), with a way to wait for an actor's death. */
export class ActorDirectory {
  private readonly byId = new Map<string, ActorRecord>();
  private readonly byName = new Map<string, string>();
  private readonly changes = new EventEmitter();

  constructor() {
    this.changes.setMaxListeners(0);
  }

  add(record: ActorRecord): void {
    this.byId.set(record.actorId, record);
    if (record.spec.name && record.state !== 'DEAD')
      this.byName.set(nameKey(record.spec.namespace, record.spec.name), record.actorId);
  }

  get(actorId: string): ActorRecord | undefined {
    return this.byId.get(actorId);
  }

  /** The live (not DEAD) actor holding a name. */
  byNameLookup(namespace: string, name: string): ActorRecord | undefined {
    const id = this.byName.get(nameKey(namespace, name));
    return id ? this.byId.get(id) : undefined;
  }

  markDead(record: ActorRecord, cause: DeathCause, error?: ErrorInfo): void {
    if (record.state === 'DEAD') return;
    record.state = 'DEAD';
    record.death = cause;
    record.deathError = error;
    record.allocation = undefined;
    if (record.spec.name) {
      const key = nameKey(record.spec.namespace, record.spec.name);
      if (this.byName.get(key) === record.actorId) this.byName.delete(key);
    }
    this.changed(record);
    this.trim();
  }

  /** Wakes whoever waits on this actor's state (after any transition). */
  changed(record: ActorRecord): void {
    this.changes.emit(record.actorId, record);
  }

  /** Resolves when the actor is DEAD, or ALIVE after more than `knownRestarts` restarts, or after `timeoutMs`. */
  waitForRestart(record: ActorRecord, knownRestarts: number, timeoutMs: number): Promise<void> {
    const settled = (): boolean =>
      record.state === 'DEAD' || (record.state === 'ALIVE' && record.numRestarts > knownRestarts);
    if (settled()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!settled()) return;
        done();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.changes.off(record.actorId, check);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.changes.on(record.actorId, check);
    });
  }

  /** Resolves when the actor is DEAD or after `timeoutMs`. */
  waitForDeath(record: ActorRecord, timeoutMs: number): Promise<void> {
    if (record.state === 'DEAD') return Promise.resolve();
    return new Promise((resolve) => {
      const onChange = (): void => {
        if (record.state === 'DEAD') done();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.changes.off(record.actorId, onChange);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.changes.on(record.actorId, onChange);
    });
  }

  all(): ActorRecord[] {
    return [...this.byId.values()];
  }

  /** Actors that exist (PENDING to RESTARTING, not DEAD): the most members a collective group can have. */
  liveCount(): number {
    let n = 0;
    for (const rec of this.byId.values()) if (rec.state !== 'DEAD') n++;
    return n;
  }

  ownedBy(ownerId: string): ActorRecord[] {
    return this.all().filter((a) => a.ownerId === ownerId && a.state !== 'DEAD');
  }

  onNode(nodeId: string): ActorRecord[] {
    return this.all().filter((a) => a.nodeId === nodeId && a.state !== 'DEAD');
  }

  // Dead actors are kept for lookups of their cause, up to a bound.
  private trim(): void {
    const MAX_DEAD = 10_000;
    if (this.byId.size <= MAX_DEAD * 2) return;
    let excess = this.byId.size - MAX_DEAD * 2;
    for (const [id, rec] of this.byId) {
      if (excess <= 0) break;
      if (rec.state === 'DEAD') {
        this.byId.delete(id);
        excess--;
      }
    }
  }
}
