/**
 * The option loop the command-line tools share (simulator, chaos, bench): `--flag value` or
 * `--flag=value`; `--help`/`-h` prints `usage` (or what it returns) and exits; anything `take`
 * does not know is an error that names it, so a typo never runs with defaults.
 */
export function readOptions(argv: readonly string[], usage: string | (() => string), take: (flag: string, value: () => string) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const [flag, inline] = eq >= 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--help" || flag === "-h") {
      const text = typeof usage === "function" ? usage() : usage;
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      process.exit(0);
    }
    if (!take(flag, value)) throw new Error(`unknown option ${arg}`);
  }
}
