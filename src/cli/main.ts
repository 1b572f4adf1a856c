#!/usr/bin/env node
/** The `troupe` command: start and stop nodes, ask a cluster for its status. */
import { Command, Option } from 'commander';
import { TroupeError } from '../common/index.js';
import { addressFlag, numberFlag, resourcesFlag } from './flags.js';
import { startCommand, DEFAULT_HEAD_PORT, type StartFlags } from './start.js';
import { statusCommand } from './status.js';
import { stopCommand } from './stop.js';
import { clusterCommand } from './cluster.js';
import { jobCommand } from './job.js';
import { pipelineShowCommand, type PipelineShowFlags } from './pipeline.js';
import { packageVersion } from './version.js';

const program = new Command('troupe')
  .description('Troupe: an actor runtime for distributed training')
  .version(packageVersion(), '-V, --version', 'print the version of troupe')
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('start a head (--head) or a worker that joins one (--address), in the foreground unless --daemon')
  .option('--head', 'start the head node (and a worker on this machine, unless --no-worker)')
  .addOption(
    new Option('--address <host:port>', 'head to join (default: TROUPE_ADDRESS)').argParser(addressFlag('--address')),
  )
  .option('--token <token>', 'cluster token (default: TROUPE_TOKEN; a head generates one when neither is set)')
  .option('--host <ip>', 'address to listen on and advertise (default 127.0.0.1)')
  .addOption(
    new Option('--port <n>', `head port, 0 for any free port (default ${DEFAULT_HEAD_PORT})`).argParser(
      numberFlag('--port', 0, true),
    ),
  )
  .addOption(
    new Option('--num-cpus <n>', 'CPUs this node offers (default: detected)').argParser(numberFlag('--num-cpus')),
  )
  .addOption(
    new Option('--num-gpus <n>', 'GPUs this node offers (default: nvidia-smi)').argParser(
      numberFlag('--num-gpus', 0, true),
    ),
  )
  .addOption(
    new Option('--memory <bytes>', 'memory this node offers (default: detected)').argParser(numberFlag('--memory')),
  )
  .addOption(new Option('--resources <json>', 'custom resources, e.g. \'{"ssd": 2}\'').argParser(resourcesFlag))
  .option('--no-worker', 'with --head: run no worker on this machine')
  .addOption(
    new Option('--warm-pool <n>', 'actor processes kept warm (default 2)').argParser(
      numberFlag('--warm-pool', 0, true),
    ),
  )
  .addOption(
    new Option('--heartbeat-period-ms <n>', 'head: worker heartbeat period').argParser(
      numberFlag('--heartbeat-period-ms', 10, true),
    ),
  )
  .addOption(
    new Option('--heartbeat-timeout-ms <n>', 'head: silence before a node is declared dead').argParser(
      numberFlag('--heartbeat-timeout-ms', 10, true),
    ),
  )
  .addOption(
    new Option('--max-message-bytes <n>', 'largest gRPC message (default 16 MiB)').argParser(
      numberFlag('--max-message-bytes', 1024, true),
    ),
  )
  .option(
    '--state <url>',
    'head: where cluster state lives: memory (default), memory:///file.json, redis://[:pw@]host:port/db, rediss://, redis+sentinel://, redis+cluster:// (default: TROUPE_STATE)',
  )
  .option(
    '--state-prefix <prefix>',
    'head: Redis key prefix with a {hash tag} (default troupe:{default}:), to keep several clusters in one Redis',
  )
  .option(
    '--allow-exec-argv',
    'head: start actor processes with any Node flags a spawn asks for (--inspect, --import, --require …); ' +
      'default: the tsx loader only, since an inspector port needs no token',
  )
  .option('--daemon', 'run in the background; write a pid file and log to the session folder')
  .action(async (opts: StartFlags) => {
    await startCommand(
      { ...opts, address: opts.address ?? (opts.head ? undefined : process.env.TROUPE_ADDRESS || undefined) },
      process.argv.slice(1),
    );
  });

program
  .command('stop')
  .description('stop every troupe head and worker started on this machine')
  .option('--force', 'SIGKILL at once instead of SIGTERM')
  .addOption(
    new Option('--grace-ms <n>', 'wait this long before SIGKILL')
      .default(10_000)
      .argParser(numberFlag('--grace-ms', 0, true)),
  )
  .action(async (opts: { force?: boolean; graceMs: number }) => {
    process.exitCode = await stopCommand(opts);
  });

program
  .command('status')
  .description('nodes with used/total resources, and actors by state')
  .addOption(
    new Option('--address <host:port>', 'head to ask (default: TROUPE_ADDRESS, then the local head)').argParser(
      addressFlag('--address'),
    ),
  )
  .option('--token <token>', "cluster token (default: TROUPE_TOKEN, then the local head's token file)")
  .option('--json', 'print the status as JSON')
  .action(async (opts: { address?: string; token?: string; json?: boolean }) => {
    await statusCommand(opts);
  });

const pipeline = program.command('pipeline').description('pipeline-parallel schedules');
pipeline
  .command('show')
  .description(
    'print a schedule as a step × stage grid (or JSON), checked by the simulator; optionally an SVG timeline',
  )
  .addOption(
    new Option('--schedule <name>', 'gpipe, 1f1b or interleaved')
      .choices(['gpipe', '1f1b', 'interleaved'])
      .makeOptionMandatory(),
  )
  .addOption(
    new Option('-p <stages>', 'pipeline stages (ranks)').argParser(numberFlag('-p', 1, true)).makeOptionMandatory(),
  )
  .addOption(
    new Option('-m <microbatches>', 'microbatches per step').argParser(numberFlag('-m', 1, true)).makeOptionMandatory(),
  )
  .addOption(
    new Option('-v <chunks>', 'model chunks per rank (interleaved only; default 2)').argParser(
      numberFlag('-v', 2, true),
    ),
  )
  .option('--json', 'print the schedule as JSON: per stage, its actions in text form')
  .option('--svg <file>', 'write an SVG timeline to this file')
  .option('--buffered', 'check with sends that complete at once instead of rendezvous sends')
  .action((opts: PipelineShowFlags) => {
    pipelineShowCommand(opts);
  });

program.addCommand(clusterCommand());
program.addCommand(jobCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed its message (help, version, usage errors).
    process.exit(e.exitCode ?? 2);
  }
  if (err instanceof TroupeError) {
    process.stderr.write(`troupe: ${err.message}\n`);
    process.exit(err.code === 'INVALID_ARGUMENT' ? 2 : 1);
  }
  process.stderr.write(`troupe: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}
