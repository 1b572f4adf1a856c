/** `troupe job submit | logs | status | stop | list`. */
import { Command, Option } from 'commander';
import { InvalidArgumentError } from '../common/index.js';
import { JobClient, nodePathValue, parseEnvPairs, type JobInfo } from '../jobs/index.js';
import { addressFlag, numberFlag } from './flags.js';
import { withHead } from './reach.js';
import { resolveTarget } from './status.js';

interface Target {
  address?: string;
  token?: string;
}

/** Runs `fn` with a client of the head the flags name, once that head is reachable. */
async function withClient<T>(flags: Target, fn: (c: JobClient) => Promise<T>): Promise<T> {
  const target = resolveTarget(flags);
  return withHead(target.address, async () => {
    const c = new JobClient(target);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  });
}

const targetOptions = (cmd: Command): Command =>
  cmd
    .addOption(
      new Option('--address <host:port>', 'head (default: TROUPE_ADDRESS, then the local head)').argParser(
        addressFlag('--address'),
      ),
    )
    .option('--token <token>', "cluster token (default: TROUPE_TOKEN, then the local head's token file)");

function when(ms: number): string {
  return ms
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}

function describe(j: JobInfo): string {
  const lines = [
    `Job ${j.jobId}: ${j.state}${j.message ? ` (${j.message})` : ''}`,
    `  entrypoint: ${j.entrypoint.join(' ')}`,
    `  node:       ${j.nodeId || '-'}${j.driverPid ? ` (driver pid ${j.driverPid})` : ''}`,
    `  created:    ${when(j.createdAtMs)}   started: ${when(j.startedAtMs)}   ended: ${when(j.endedAtMs)}`,
  ];
  if (j.exitCode >= 0) lines.push(`  exit code:  ${j.exitCode}`);
  return `${lines.join('\n')}\n`;
}

/** `--follow` exits as the driver did: its exit code, or 1 when it has none (stopped, killed, never started). */
const exitFor = (j: JobInfo): number =>
  j.state === 'SUCCEEDED' ? 0 : j.exitCode > 0 && j.exitCode < 256 ? j.exitCode : 1;

async function follow(c: JobClient, jobId: string): Promise<number> {
  for await (const text of c.tailLogs(jobId, { follow: true })) process.stdout.write(text);
  const j = await c.wait(jobId, { timeoutMs: 30_000 });
  process.stderr.write(`troupe: job ${jobId} ${j.state}${j.message ? ` (${j.message})` : ''}\n`);
  return exitFor(j);
}

export function jobCommand(): Command {
  const cmd = new Command('job').description('run driver programs on a cluster: submit, logs, status, stop, list');
  targetOptions(cmd.command('submit'))
    .description(
      'pack the working directory, upload it and run the command on a node: troupe job submit [options] -- node main.js',
    )
    .argument('<command...>', 'the driver command, after --')
    .option(
      '--working-dir <dir>',
      "folder to upload as the driver's working directory (without .git, node_modules and .troupeignore " +
        'entries); with a package.json and its lock file, the node installs its dependencies (npm ci, cached)',
    )
    .option('--env <K=V>', 'environment variable for the driver (repeatable)', (v: string, all: string[] = []) => [
      ...all,
      v,
    ])
    .option(
      '--node-path <dir>',
      "folder for the driver's NODE_PATH, relative to the working directory (repeatable, or ':'-separated; " +
        'CommonJS require() only: ESM imports resolve from node_modules)',
      (v: string, all: string[] = []) => [...all, ...v.split(':')],
    )
    .addOption(
      new Option('--num-cpus <n>', 'CPUs held for the driver while it runs').argParser(numberFlag('--num-cpus')),
    )
    .option('--job-id <id>', 'an id of your choosing')
    .option('--follow', "stream the job's logs until it ends, and exit with the driver's exit code")
    .action(
      async (
        command: string[],
        opts: Target & {
          workingDir?: string;
          env?: string[];
          nodePath?: string[];
          numCpus?: number;
          jobId?: string;
          follow?: boolean;
        },
      ) => {
        if (command.length === 0)
          throw new InvalidArgumentError(
            'troupe job submit needs the command to run after --, e.g. troupe job submit -- node main.js',
            { context: { field: 'command' } },
          );
        const env = parseEnvPairs(opts.env ?? []);
        if (opts.nodePath) nodePathValue(opts.nodePath, '--node-path');
        process.exitCode = await withClient(opts, async (c) => {
          const jobId = await c.submit({
            entrypoint: command,
            workingDir: opts.workingDir,
            env,
            nodePath: opts.nodePath,
            numCpus: opts.numCpus,
            jobId: opts.jobId,
          });
          process.stdout.write(`Job ${jobId} submitted to ${c.address}.\n`);
          if (!opts.follow) {
            process.stdout.write(
              `  logs:   troupe job logs ${jobId} --follow\n  status: troupe job status ${jobId}\n  stop:   troupe job stop ${jobId}\n`,
            );
            return 0;
          }
          return follow(c, jobId);
        });
      },
    );
  targetOptions(cmd.command('logs'))
    .description("print a job's output; --follow keeps printing until it ends")
    .argument('<job-id>')
    .option('--follow', "keep printing until the job ends, and exit with the driver's exit code")
    .action(async (jobId: string, opts: Target & { follow?: boolean }) => {
      process.exitCode = await withClient(opts, async (c) => {
        if (opts.follow) return follow(c, jobId);
        process.stdout.write(await c.logs(jobId));
        return 0;
      });
    });
  targetOptions(cmd.command('status'))
    .description("a job's state, node and exit code")
    .argument('<job-id>')
    .option('--json', 'print it as JSON')
    .action(async (jobId: string, opts: Target & { json?: boolean }) => {
      await withClient(opts, async (c) => {
        const j = await c.status(jobId);
        process.stdout.write(opts.json ? `${JSON.stringify(j, null, 2)}\n` : describe(j));
      });
    });
  targetOptions(cmd.command('stop'))
    .description('stop a job (SIGTERM to its driver, SIGKILL after 5 s)')
    .argument('<job-id>')
    .option('--no-wait', 'return at once instead of waiting until it has stopped')
    .action(async (jobId: string, opts: Target & { wait: boolean }) => {
      await withClient(opts, async (c) => {
        let j = await c.stop(jobId);
        if (opts.wait) j = await c.wait(jobId, { timeoutMs: 30_000 });
        process.stdout.write(describe(j));
      });
    });
  targetOptions(cmd.command('list'))
    .description('every job the head knows, oldest first')
    .option('--json', 'print them as JSON')
    .action(async (opts: Target & { json?: boolean }) => {
      await withClient(opts, async (c) => {
        const jobs = await c.list();
        if (opts.json) return void process.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
        if (jobs.length === 0) return void process.stdout.write('No jobs.\n');
        const rows = [
          ['JOB', 'STATE', 'NODE', 'CREATED', 'ENTRYPOINT'],
          ...jobs.map((j) => [j.jobId, j.state, j.nodeId || '-', when(j.createdAtMs), j.entrypoint.join(' ')]),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        process.stdout.write(
          `${rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n')}\n`,
        );
      });
    });
  return cmd;
}
