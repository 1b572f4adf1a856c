/**
 * The head's check of a RegisterNode request, once it decoded exactly: an address callers can
 * dial, and bounds on everything else a node reports (its labels are shown by `troupe status`).
 */
import { InvalidArgumentError } from '../common/index.js';
import type { RegisterNodeRequest__Output } from '../generated/troupe/v1/RegisterNodeRequest.js';

/** GPU devices one node may report, labels it may carry, actors it may report running. */
export const MAX_GPU_DEVICES = 1024;
export const MAX_LABELS = 64;
export const MAX_REPORTED_ACTORS = 100_000;

// host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-_]{0,252}):(\d{1,5})$/;
const CONTROL = /\p{C}/u;

const bad = (field: string, message: string): InvalidArgumentError =>
  new InvalidArgumentError(message, { context: { field } });

const shown = (v: string): string => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

/** A string of at most `max` characters without control characters. */
function text(field: string, v: string, max: number): void {
  if (v.length > max || CONTROL.test(v)) {
    throw bad(field, `${field} must be at most ${max} characters without control characters, got ${shown(v)}`);
  }
}

/**
 * Checks what a registering node reports (resources are checked by the caller).
 * @throws InvalidArgumentError naming the field and the rule.
 */
export function checkRegistration(req: RegisterNodeRequest__Output): void {
  if (!req.address) throw bad('address', 'RegisterNode needs address');
  const m = ADDRESS.exec(req.address);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) {
    throw bad('address', `address must be HOST:PORT with a port from 1 to 65535, got ${shown(req.address)}`);
  }
  text('hostname', req.hostname, 255);
  if (!Number.isInteger(req.numGpuDevices) || req.numGpuDevices < 0) {
    throw bad('num_gpu_devices', `num_gpu_devices must be an integer >= 0, got ${req.numGpuDevices}`);
  }
  if (req.numGpuDevices > MAX_GPU_DEVICES) {
    throw bad('num_gpu_devices', `num_gpu_devices must be at most ${MAX_GPU_DEVICES}, got ${req.numGpuDevices}`);
  }
  const labels = Object.entries(req.labels ?? {});
  if (labels.length > MAX_LABELS) throw bad('labels', `labels must hold at most ${MAX_LABELS}, got ${labels.length}`);
  for (const [k, v] of labels) {
    if (k.length === 0 || k.length > 128 || CONTROL.test(k)) {
      throw bad('labels', `label names must be 1-128 characters without control characters, got ${shown(k)}`);
    }
    text(`labels.${k}`, v, 256);
  }
  const reported = (req.actorIds?.length ?? 0) + (req.running?.length ?? 0);
  if (reported > MAX_REPORTED_ACTORS) {
    throw bad('actor_ids', `a node may report at most ${MAX_REPORTED_ACTORS} actors, got ${reported}`);
  }
}
