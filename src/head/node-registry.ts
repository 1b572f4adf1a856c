import { randomBytes } from 'node:crypto';
import { makeClient } from '../transport/index.js';
import { MuxClient } from '../transport/index.js';
import { troupeV1 } from '../transport/index.js';
import type { StartActorReply__Output } from '../generated/troupe/v1/StartActorReply.js';
import type { StartActorRequest } from '../generated/troupe/v1/StartActorRequest.js';
import type { WorkerServiceClient } from '../generated/troupe/v1/WorkerService.js';
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
  client: WorkerServiceClient;
  /** StartActor requests on one long-lived stream. */
  starts: MuxClient<StartActorRequest, StartActorReply__Output>;
}

/** Registered worker nodes, their WorkerService clients and heartbeat deadlines. */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeEntry>();

  constructor(
    private readonly token: string,
    private readonly maxMessageBytes?: number,
  ) {}

  add(
    incarnation: number,
    address: string,
    hostname: string,
    total: ResourceMap,
    numGpuDevices: number,
    labels: Record<string, string>,
  ): NodeEntry {
    return this.insert(
      {
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
      },
      true,
    );
  }

  /** A node as the store remembers it; an alive one gets until the heartbeat deadline to come back. */
  restore(row: NodeRow): NodeEntry {
    return this.insert({ ...row }, false);
  }

  private insert(
    fields: Omit<NodeEntry, 'client' | 'starts' | 'lastHeartbeatMs' | 'resumed'>,
    resumed: boolean,
  ): NodeEntry {
    const client = makeClient(troupeV1.WorkerService, fields.address, this.token, this.maxMessageBytes);
    const entry: NodeEntry = {
      ...fields,
      lastHeartbeatMs: Date.now(),
      resumed,
      client,
      starts: new MuxClient<StartActorRequest, StartActorReply__Output>(
        () => client.StartActors(),
        'StartActors',
        'worker',
        fields.address,
        this.maxMessageBytes,
      ),
    };
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
    if (n?.state !== 'ALIVE' || !n.resumed || (incarnation && n.incarnation !== incarnation)) return false;
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
