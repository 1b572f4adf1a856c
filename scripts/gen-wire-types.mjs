// Writes the wire types of proto/troupe/v1/*.proto into src/generated/ (or the folder given as the
// first argument): `npm run gen`. The options mirror the runtime's load options in
// src/transport/protos.ts, so the types describe the objects proto-loader really hands over.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'src', 'generated'));
const protos = readdirSync(path.join(root, 'proto', 'troupe', 'v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => `troupe/v1/${f}`);

// A file whose proto went away must not linger.
rmSync(outDir, { recursive: true, force: true });
execFileSync(
  path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types'),
  [
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    '--targetFileExtension=.ts',
    '--includeDirs=proto',
    `--outDir=${outDir}`,
    ...protos,
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
