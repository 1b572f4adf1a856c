/** The actor the `calls` benchmark calls: returns its argument unchanged. */
export class EchoActor {
  echo(x: unknown): unknown {
    return x;
  }
}
