import type * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { makeClient } from '../transport/grpc.js';
import { MuxClient } from '../transport/mux-stream.js';
import { services } from '../transport/protos.js';
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
  client: grpc.Client;
  /** StartActor requests on one long-lived stream. */
  starts: MuxClient<object, { address: string; pid: number }>;
}

/** Registered worker nodes, their WorkerService clients and heartbeat deadlines. */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeEntry>();
  private incarnations = 0;

  constructor(private readonly token: string, private readonly maxMessageBytes?: number) {}

  add(address: string, hostname: string, total: ResourceMap, numGpuDevices: number, labels: Record<string, string>): NodeEntry {
    const entry: NodeEntry = {
      nodeId: `node-${randomBytes(6).toString('hex')}`,
      incarnation: ++this.incarnations,
      address,
      hostname,
      labels,
      total,
      numGpuDevices,
      state: 'ALIVE',
      deathReason: '',
      lastHeartbeatMs: Date.now(),
      client: makeClient(services.WorkerService, address, this.token, this.maxMessageBytes),
    } as NodeEntry;
    entry.starts = new MuxClient(entry.client, 'StartActors', 'worker', address, this.maxMessageBytes);
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
    if (!n || n.state !== 'ALIVE' || (incarnation && n.incarnation !== incarnation)) return false;
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
