/**
 * Errors rebuilt from the wire: a user's own name and string code survive, the Troupe code stays
 * apart, and `.stack` reads remote frames first, then the local side, never grpc-js or Node's internals.
 */
import { describe, expect, it } from 'vitest';
import {
  ActorMethodError,
  CALLED_FROM,
  ErrorCode,
  InvalidArgumentError,
  RemoteError,
  TroupeError,
  atCallSite,
  errorFromInfo,
  errorToInfo,
  type ErrorInfo,
} from '../../src/common/index.js';

class QuotaError extends Error {
  override name = 'QuotaError';
  code = 'E_QUOTA';
}

const GRPC_FRAME = '    at Object.onReceiveStatus (/app/node_modules/@grpc/grpc-js/build/src/client.js:193:36)';
const NODE_FRAME = '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)';

describe('a user error over the wire', () => {
  it('keeps its name and string code; troupeCode and the wire code stay REMOTE_ERROR', () => {
    const info = errorToInfo(new QuotaError('over quota'));
    expect(info.code).toBe('REMOTE_ERROR');
    expect(info.context).toMatchObject({ remoteName: 'QuotaError', remoteCode: 'E_QUOTA' });
    const err = errorFromInfo(info) as RemoteError;
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toBeInstanceOf(TroupeError);
    expect(err.name).toBe('QuotaError');
    expect(err.code).toBe('E_QUOTA');
    expect(err.troupeCode).toBe(ErrorCode.REMOTE_ERROR);
    expect(err.remoteCode).toBe('E_QUOTA');
    // Sent on again (an actor rethrows what another one threw), it stays what it was.
    const again = errorFromInfo(errorToInfo(err)) as RemoteError;
    expect([again.name, again.code, again.troupeCode]).toEqual(['QuotaError', 'E_QUOTA', 'REMOTE_ERROR']);
  });

  it('without a string code of its own keeps the Troupe code; thrown values are no class names', () => {
    const numeric = Object.assign(new TypeError('bad'), { code: 42 });
    const err = errorFromInfo(errorToInfo(numeric));
    expect([err.name, err.code, err.troupeCode]).toEqual(['TypeError', 'REMOTE_ERROR', 'REMOTE_ERROR']);
    const value = errorFromInfo(errorToInfo('just a string'));
    expect([value.name, value.code]).toEqual(['RemoteError', 'REMOTE_ERROR']);
    expect((value as RemoteError).remoteName).toBe('string');
  });

  it('Troupe errors keep their code as both code and troupeCode', () => {
    const err = errorFromInfo(errorToInfo(new InvalidArgumentError('x must be 1', { context: { field: 'x' } })));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect([err.name, err.code, err.troupeCode]).toEqual([
      'InvalidArgumentError',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ]);
  });
});

describe('the stack of a rebuilt error', () => {
  const info = (remoteStack: string): ErrorInfo => ({
    code: 'ACTOR_METHOD_FAILED',
    message: 'Model.step threw: loss is NaN',
    remoteStack,
    context: {},
    cause: null,
  });

  it('starts with the remote header and frames, then the local side, without grpc-js or node internals', () => {
    const remote = [
      'RangeError: loss is NaN',
      '    at Model.step (file:///app/model.js:10:11)',
      GRPC_FRAME,
      NODE_FRAME,
      '    at train (file:///app/model.js:20:3)',
    ].join('\n');
    const err = errorFromInfo(info(remote));
    expect(err).toBeInstanceOf(ActorMethodError);
    const lines = err.stack!.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'ActorMethodError: Model.step threw: loss is NaN',
      'RangeError: loss is NaN',
      '    at Model.step (file:///app/model.js:10:11)',
      '    at train (file:///app/model.js:20:3)',
    ]);
    expect(lines[4]).toBe(CALLED_FROM);
    expect(err.stack).not.toMatch(/@grpc|node:internal/);
    expect(err.remoteStack).toBe(remote); // the whole remote stack is still there
  });

  it('does not repeat a header the remote stack shares, and has a separator with no remote stack', () => {
    const same = errorFromInfo({
      ...info('ActorMethodError: Model.step threw: loss is NaN\n    at f (file:///a.js:1:1)'),
    });
    expect(same.stack!.split('\n').slice(0, 2)).toEqual([
      'ActorMethodError: Model.step threw: loss is NaN',
      '    at f (file:///a.js:1:1)',
    ]);
    const none = errorFromInfo(info(''));
    expect(none.stack!.split('\n').slice(0, 2)).toEqual([
      'ActorMethodError: Model.step threw: loss is NaN',
      CALLED_FROM,
    ]);
  });

  it('atCallSite puts the awaiting caller after the separator', async () => {
    const failing = async (): Promise<never> => {
      await new Promise((r) => setTimeout(r, 1));
      throw errorFromInfo(info('RangeError: loss is NaN\n    at Model.step (file:///app/model.js:10:11)'));
    };
    const wrapper = async (): Promise<never> => {
      try {
        return await failing();
      } catch (err) {
        throw atCallSite(err, wrapper);
      }
    };
    async function theCaller(): Promise<Error> {
      try {
        await wrapper();
      } catch (err) {
        return err as Error;
      }
      throw new Error('did not throw');
    }
    const err = await theCaller();
    const lines = err.stack!.split('\n');
    const sep = lines.indexOf(CALLED_FROM);
    expect(lines.slice(0, sep)).toEqual([
      'ActorMethodError: Model.step threw: loss is NaN',
      'RangeError: loss is NaN',
      '    at Model.step (file:///app/model.js:10:11)',
    ]);
    expect(lines[sep + 1]).toMatch(/theCaller .*remote-stack\.test\.ts/);
    expect(lines.slice(sep + 1).join('\n')).not.toMatch(/wrapper|failing/);
    // Errors made here, with no remote part, are left as they are.
    const local = new InvalidArgumentError('local');
    const before = local.stack;
    expect(atCallSite(local, wrapper).stack).toBe(before);
  });
});
