/** The shared validation helper: unknown keys listed with the valid ones, bad values named with their rule. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { showValue } from '../../src/options/validate.js';
import { checkOptions, checkValue, field, fieldPath, type Fields } from '../../src/options/index.js';

interface Opts {
  numCpus?: number;
  maxRestarts?: number;
  name?: string;
  handle?: { id: string };
}

const FIELDS: Fields<Opts> = {
  numCpus: field(z.number().min(0), 'a finite number >= 0'),
  maxRestarts: field(z.number().int().min(-1), 'an integer >= -1'),
  name: field(z.string().min(1), 'a non-empty string'),
  handle: field(z.object({ id: z.string() }), 'a handle'),
};

function refusal(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

const check = (input: unknown, extra: { prefix?: string; required?: string[] } = {}) =>
  checkOptions<Opts>(input, FIELDS, { what: 'test', ...extra });

describe('checkOptions', () => {
  it('refuses unknown keys, listing every unknown one and the valid ones', () => {
    const one = refusal(() => check({ numCPUs: 1 }));
    expect(one.message).toBe("unknown test option 'numCPUs'; valid options are: numCpus, maxRestarts, name, handle");
    expect(one.field).toBe('numCPUs');
    const two = refusal(() => check({ numCpus: 1, numCPUs: 1, nmae: 'x' }));
    expect(two.message).toBe(
      "unknown test options 'numCPUs', 'nmae'; valid options are: numCpus, maxRestarts, name, handle",
    );
    expect(two.field).toBe('numCPUs');
  });

  it('names the field and the rule, and shows the value', () => {
    const e = refusal(() => check({ maxRestarts: 1.5 }));
    expect(e.message).toBe('maxRestarts must be an integer >= -1, got 1.5');
    expect(e.field).toBe('maxRestarts');
    expect(e.context).toEqual({ field: 'maxRestarts' });
    expect(refusal(() => check({ name: '' })).message).toBe("name must be a non-empty string, got ''");
    expect(refusal(() => check({ handle: { id: 3 } })).message).toBe('handle must be a handle, got {"id":3}');
    expect(refusal(() => check({ numCpus: -1 }, { prefix: 'SGD ' })).message).toBe(
      'SGD numCpus must be a finite number >= 0, got -1',
    );
  });

  it('reports unknown keys before bad values, and bad values in the order of the table', () => {
    expect(refusal(() => check({ name: '', bogus: 1 })).field).toBe('bogus');
    expect(refusal(() => check({ name: '', numCpus: -1 })).field).toBe('numCpus');
  });

  it('refuses what is not an object, and treats undefined as no options', () => {
    for (const bad of [null, 'fast', 3, [1]]) {
      const e = refusal(() => check(bad));
      expect(e.message).toMatch(/^test options must be an object, got /);
      expect(e.field).toBe('options');
    }
    expect(check(undefined)).toEqual({});
  });

  it('returns the caller’s own object, with undefined values left as they are', () => {
    const handle = Object.assign(Object.create({ extra: 1 }) as object, { id: 'pg-1' }) as { id: string };
    const input = { numCpus: 2, name: undefined, handle };
    const out = check(input);
    expect(out).toBe(input);
    expect(out.handle).toBe(handle);
  });

  it('requires the keys it is told to', () => {
    const e = refusal(() => check({}, { required: ['name'] }));
    expect(e.message).toBe('name must be a non-empty string, got undefined');
    expect(e.field).toBe('name');
  });
});

describe('the smaller pieces', () => {
  it('checkValue names what it is given', () => {
    expect(checkValue('--port', 80, FIELDS.numCpus)).toBe(80);
    expect(refusal(() => checkValue('--port', -2, FIELDS.numCpus)).message).toBe(
      '--port must be a finite number >= 0, got -2',
    );
  });

  it('fieldPath and showValue', () => {
    expect(fieldPath(['workers', 1, 'ssh', 'port'])).toBe('workers[1].ssh.port');
    expect(fieldPath([])).toBe('');
    expect(showValue('thread')).toBe("'thread'");
    expect(showValue({ a: [1] })).toBe('{"a":[1]}');
    expect(showValue(undefined)).toBe('undefined');
    expect(showValue(() => 1)).toBe('a function');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(showValue(loop)).toBe('[object Object]');
  });
});
