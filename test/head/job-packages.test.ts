import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { logger } from '../../src/common/index.js';
import { JobPackages } from '../../src/head/job-packages.js';
import { MemoryStore } from '../../src/state/index.js';

describe('job packages on the head', () => {
  it('are dropped a grace after their last job, unless a job needs them or they were uploaded again', async () => {
    const store = new MemoryStore();
    const packages = new JobPackages(store, logger('test'));
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64));
    for (const id of [a!, b!, c!]) await packages.put(id, Buffer.from(id));
    let needed = true;
    // Timers fire in the order they are due, so the steps below happen in this order however slow the machine.
    packages.dropLater(a!, () => false, 400);
    packages.dropLater(b!, () => needed, 400);
    packages.dropLater(c!, () => false, 400);
    await sleep(200);
    await packages.put(c!, Buffer.from(c!)); // uploaded again while its drop waits: a client is about to submit it
    expect(await packages.size(a!)).toBe(64); // not yet
    await sleep(400);
    expect(await packages.size(a!)).toBeUndefined();
    expect(await packages.size(b!)).toBe(64);
    expect(await packages.size(c!)).toBe(64);
    needed = false;
    packages.dropLater(b!, () => needed, 50);
    await sleep(150);
    expect(await packages.size(b!)).toBeUndefined();
  });
});
