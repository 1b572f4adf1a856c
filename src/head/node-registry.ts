import type * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { makeClient } from '../transport/grpc.js';
import { MuxClient } from '../transport/mux-stream.js';
import { services } from '../transport/protos.js';
import type { NodeRow } from '../state/index.js';
import type { ResourceMap } from './resources.js';

export interface NodeEntry {
  nodeId: string;
  incarnation: number;
  address: string;
  hostname: string;
  labels: Record<string, string>;
  total: ResourceMap;
  numGpuDevices: number;
  state: 'ALIVE' | 'DEAD';
  deathReason: string;
  lastHeartbeatMs: number;
  registeredAtMs: number;
  /** False for a node reloaded by a restarted head until its worker registers again and reports its actors. */
  resumed: boolean;
  client: grpc.Client;
  /** StartActor requests on one long-lived stream. */
  starts: MuxClient<object, { address: string; pid: number }>;
}

/** Registered worker nodes, their WorkerService clients and heartbeat deadlines. */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeEntry>();

  constructor(private readonly token: string, private readonly maxMessageBytes?: number) {}

  add(incarnation: number, address: string, hostname: string, total: ResourceMap, numGpuDevices: number, labels: Record<string, string>): NodeEntry {
    return this.insert({
      nodeId: `node-${randomBytes(6).toString('hex')}`,
      incarnation,
      address,
      hostname,
      labels,
      total,
      numGpuDevices,
      state: 'ALIVE',
      deathReason: '',
      registeredAtMs: Date.now(),
    }, true);
  }

  /** A node as the store remembers it; an alive one gets until the heartbeat deadline to come back. */
  restore(row: NodeRow): NodeEntry {
    return this.insert({ ...row }, false);
  }

  private insert(fields: Omit<NodeEntry, 'client' | 'starts' | 'lastHeartbeatMs' | 'resumed'>, resumed: boolean): NodeEntry {
    const entry = {
      ...fields,
      lastHeartbeatMs: Date.now(),
      resumed,
      client: makeClient(services.WorkerService, fields.address, this.token, this.maxMessageBytes),
    } as NodeEntry;
    entry.starts = new MuxClient(entry.client, 'StartActors', 'worker', fields.address, this.maxMessageBytes);
    this.nodes.set(entry.nodeId, entry);
    return entry;
  }

  get(nodeId: string): NodeEntry | undefined {
    return this.nodes.get(nodeId);
  }

  alive(): NodeEntry[] {
    return [...this.nodes.values()].filter((n) => n.state === 'ALIVE');
  }

  all(): NodeEntry[] {
    return [...this.nodes.values()];
  }

  /** Records a heartbeat; false when the node is unknown, dead, or an older incarnation. */
  beat(nodeId: string, incarnation: number): boolean {
    const n = this.nodes.get(nodeId);
    // A reloaded node must register again first, so its actors are reconciled.
    if (!n || n.state !== 'ALIVE' || !n.resumed || (incarnation && n.incarnation !== incarnation)) return false;
    n.lastHeartbeatMs = Date.now();
    return true;
  }

  /** Nodes whose last heartbeat is older than the timeout. */
  overdue(timeoutMs: number, now = Date.now()): NodeEntry[] {
    return this.alive().filter((n) => now - n.lastHeartbeatMs > timeoutMs);
  }

  markDead(node: NodeEntry, reason: string): void {
    node.state = 'DEAD';
    node.deathReason = reason;
    node.starts.close();
    node.client.close();
  }

  closeAll(): void {
    for (const n of this.nodes.values()) {
      n.starts.close();
      n.client.close();
    }
  }
}
