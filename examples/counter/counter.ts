import { setTimeout as sleep } from 'node:timers/promises';

/** An actor is a plain class: its state lives in one process, its methods are called remotely. */
export class Counter {
  private value: number;

  constructor(start: number) {
    this.value = start;
  }

  inc(n: number): number {
    this.value += n;
    return this.value;
  }

  async slowDouble(ms: number): Promise<number> {
    await sleep(ms);
    this.value *= 2;
    return this.value;
  }

  where(): { pid: number; gpus: string | undefined } {
    return { pid: process.pid, gpus: process.env.CUDA_VISIBLE_DEVICES };
  }
}
