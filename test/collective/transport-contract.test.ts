/** The PeerTransport contract run on every transport: in memory and over TCP. */
import { describe } from 'vitest';
import { memoryGroup, TcpPeerTransport } from '../../src/collective/index.js';
import { transportContract } from './transport-contract.js';

describe('memoryGroup', () => {
  transportContract({
    open: async (size) => ({ transports: [...memoryGroup(size).transports], close: async () => {} }),
  });
});

describe('TcpPeerTransport', () => {
  transportContract({
    open: async (size) => {
      const ts = await Promise.all(
        Array.from({ length: size }, (_, rank) => TcpPeerTransport.create({ rank, size, token: 'contract-token' })),
      );
      const addresses = ts.map((t) => t.address);
      await Promise.all(ts.map((t) => t.connect(addresses, { timeoutMs: 10_000 })));
      return { transports: ts, close: async () => void (await Promise.all(ts.map((t) => t.close()))) };
    },
  });
});
