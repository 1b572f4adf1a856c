/**
 * Strict decoding: the protobufjs that proto-loader decodes requests with cuts an over-long
 * length-prefixed field short instead of failing (`0a ff ff ff ff 0f 01 02 03` became an address
 * "\x01\x02\x03"), so every request a Troupe server receives is walked here first, against its
 * message type: every tag, varint and length must fit inside its message (nested messages, map
 * entries and packed fields included) and every byte must be used. What does not decode exactly is
 * refused before any handler sees it.
 */
import type protobuf from 'protobufjs';

/** Nesting deeper than this is refused (Troupe's messages nest a few levels). */
export const MAX_WIRE_DEPTH = 32;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** The wire type each scalar type travels as; messages (and strings, bytes) are length-delimited. */
const SCALAR_WIRE: Record<string, number> = {
  int32: VARINT,
  int64: VARINT,
  uint32: VARINT,
  uint64: VARINT,
  sint32: VARINT,
  sint64: VARINT,
  bool: VARINT,
  fixed64: FIXED64,
  sfixed64: FIXED64,
  double: FIXED64,
  fixed32: FIXED32,
  sfixed32: FIXED32,
  float: FIXED32,
  string: LENGTH,
  bytes: LENGTH,
};

/** What is known of one field: its name for messages, its wire type, and its message type if any. */
interface Slot {
  name: string;
  wire: number;
  message?: protobuf.Type;
  /** A map field: entries are messages of key (1) and value (2). */
  entry?: Record<number, Slot>;
  /** Repeated scalars of a fixed or varint wire type may also come packed. */
  packable: boolean;
}

class WireProblem {
  constructor(readonly message: string) {}
}

/**
 * Why `bytes` is not an exact encoding of `type`, or undefined when it is. Unknown fields are
 * allowed (a newer peer may send them) but must fit too; groups are refused (Troupe has none).
 */
export function wireProblem(bytes: Uint8Array, type: protobuf.Type): string | undefined {
  try {
    walk(bytes, 0, bytes.length, slotsOf(type), { name: type.name }, 0);
    return undefined;
  } catch (err) {
    if (err instanceof WireProblem) return err.message;
    throw err;
  }
}

/** Where in the message the walk is; spelled out (`CallBatch.calls.method`) only for a message. */
interface Path {
  readonly up?: Path;
  readonly name: string;
}

function spell(p: Path): string {
  return p.up ? `${spell(p.up)}.${p.name}` : p.name;
}

const fieldPath = (where: Path, slot: Slot | undefined, id: number): Path => ({
  up: where,
  name: slot?.name ?? `#${id}`,
});

const SLOTS = new WeakMap<protobuf.Type, Record<number, Slot>>();

function slotsOf(type: protobuf.Type): Record<number, Slot> {
  let slots = SLOTS.get(type);
  if (slots) return slots;
  slots = {};
  SLOTS.set(type, slots);
  for (const f of type.fieldsArray) {
    f.resolve();
    slots[f.id] = slotOf(f);
  }
  return slots;
}

function slotOf(f: protobuf.Field): Slot {
  const message = f.resolvedType && 'fieldsArray' in f.resolvedType ? (f.resolvedType as protobuf.Type) : undefined;
  const wire = message ? LENGTH : (SCALAR_WIRE[f.type] ?? VARINT); // enums travel as varints
  const value: Slot = { name: 'value', wire, message, packable: false };
  if (f.map) {
    const keyType = (f as unknown as protobuf.MapField).keyType;
    const key: Slot = { name: 'key', wire: SCALAR_WIRE[keyType] ?? VARINT, packable: false };
    return { name: f.name, wire: LENGTH, entry: { 1: key, 2: value }, packable: false };
  }
  return { name: f.name, wire, message, packable: f.repeated && !message && wire !== LENGTH };
}

/** Walks the fields in [start, end) of a message whose fields are `slots`. */
function walk(buf: Uint8Array, start: number, end: number, slots: Record<number, Slot>, where: Path, depth: number) {
  if (depth > MAX_WIRE_DEPTH) throw new WireProblem(`${spell(where)} nests deeper than ${MAX_WIRE_DEPTH} messages`);
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const tag = varint(buf, pos, end, where);
    pos = after;
    const id = Math.floor(tag / 8);
    const wire = tag % 8;
    if (id === 0 || id > 536_870_911) throw new WireProblem(`${spell(where)} has field number ${id} at byte ${tagAt}`);
    const slot = slots[id];
    if (slot && wire !== slot.wire && !(slot.packable && wire === LENGTH)) {
      throw new WireProblem(`${spell(fieldPath(where, slot, id))} has wire type ${wire}, expected ${slot.wire}`);
    }
    switch (wire) {
      case VARINT:
        varint(buf, pos, end, where, slot, id);
        pos = after;
        break;
      case FIXED64:
      case FIXED32: {
        const n = wire === FIXED64 ? 8 : 4;
        if (end - pos < n) {
          throw new WireProblem(
            `${spell(fieldPath(where, slot, id))} needs ${n} bytes, ${end - pos} left at byte ${pos}`,
          );
        }
        pos += n;
        break;
      }
      case LENGTH: {
        const len = varint(buf, pos, end, where, slot, id);
        const from = after;
        if (len > end - from) {
          throw new WireProblem(
            `${spell(fieldPath(where, slot, id))} says ${len} bytes at byte ${pos}, but ${end - from} are left in ${spell(where)}`,
          );
        }
        pos = from + len;
        if (slot?.entry) walk(buf, from, pos, slot.entry, fieldPath(where, slot, id), depth + 1);
        else if (slot?.message) walk(buf, from, pos, slotsOf(slot.message), fieldPath(where, slot, id), depth + 1);
        else if (slot?.packable) packed(buf, from, pos, slot, fieldPath(where, slot, id));
        break;
      }
      default:
        throw new WireProblem(
          `${spell(fieldPath(where, slot, id))} has wire type ${wire} at byte ${tagAt} (groups and types 6, 7 do not exist here)`,
        );
    }
  }
}

/** Packed scalars fill [start, end) exactly. */
function packed(buf: Uint8Array, start: number, end: number, slot: Slot, where: Path): void {
  if (slot.wire === VARINT) {
    for (let pos = start; pos < end; pos = after) varint(buf, pos, end, where.up!, slot, 0);
    return;
  }
  const size = slot.wire === FIXED64 ? 8 : 4;
  if ((end - start) % size !== 0) {
    throw new WireProblem(`${spell(where)} packs ${end - start} bytes, not a multiple of ${size}`);
  }
}

// The byte after the varint varint() read last (one walk runs at a time: it never awaits).
let after = 0;

/**
 * A varint of at most 10 bytes inside [pos, end), as a number (exact up to 2^53); the byte after
 * it is left in `after`. `where` (and the field's slot) name it in a message.
 */
function varint(buf: Uint8Array, pos: number, end: number, where: Path, slot?: Slot, id = 0): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) {
      const name = slot || id ? spell(fieldPath(where, slot, id)) : spell(where);
      throw new WireProblem(`${name} has a varint cut off at byte ${pos}`);
    }
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      after = pos;
      return value;
    }
    scale *= 128;
  }
  const name = slot || id ? spell(fieldPath(where, slot, id)) : spell(where);
  throw new WireProblem(`${name} has a varint longer than 10 bytes at byte ${pos - 10}`);
}
