/**
 * The server child of the raw baselines: serves bench.v1.Echo on 127.0.0.1:0 with insecure
 * credentials and prints the bound port as one line on stdout. Exits when its stdin closes.
 */
import * as grpc from '@grpc/grpc-js';
import { exitWhenParentGone } from '../lib/children.js';
import { loadEcho, type Msg } from './proto.js';

const Echo = loadEcho();
const server = new grpc.Server();
server.addService(Echo.service, {
  Unary(call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) {
    callback(null, call.request);
  },
  Stream(call: grpc.ServerDuplexStream<Msg, Msg>) {
    call.on('data', (msg: Msg) => call.write(msg));
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`echo-server: bind failed: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});

exitWhenParentGone(() => server.tryShutdown(() => process.exit(0)));
process.once('SIGTERM', () => server.forceShutdown());
