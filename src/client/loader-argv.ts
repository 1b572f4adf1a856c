/** The module loader flags of this process, which the actor processes it starts need too. */

/** Module loader flags of this process (`--import tsx` and the like) that actors need too. */
export function loaderArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (
      (a === '--import' || a === '--loader' || a === '--experimental-loader' || a === '--require' || a === '-r') &&
      i + 1 < argv.length
    ) {
      out.push(a, argv[++i]!);
    } else if (/^--(import|loader|experimental-loader|require)=/.test(a)) {
      out.push(a);
    }
  }
  return out;
}
