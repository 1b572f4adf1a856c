/** The remote function of the `nested` benchmark's task rows: returns its argument unchanged. */
export function tinyTask(x: unknown): unknown {
  return x;
}
