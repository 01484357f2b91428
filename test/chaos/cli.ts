/**
 * `npm run chaos -- --days 120 --seed 42 [--batch 25] [--page-limit 20] [--check-daily] [--quiet]`
 * Runs the seeded chaos test (test/chaos/chaos.ts) and prints the faults injected and the verdict.
 * Exit code 0 when InfluxDB matches Plaid exactly and no event was emitted twice, 1 otherwise.
 * Needs `npm run build` first and influxd (scripts/system-deps.sh influxdb).
 */
import { readOptions } from "../../src/cli/options";
import { packageSnapshot } from "../support/package-snapshot";
import { formatResult, runChaos } from "./chaos";

function parseArgs(argv: string[]): { days: number; seed: number; batchSize?: number; syncPageLimit?: number; quiet: boolean; checkDaily?: boolean } {
  const out: { days: number; seed: number; batchSize?: number; syncPageLimit?: number; quiet: boolean; checkDaily?: boolean } = { days: 30, seed: Math.floor(Math.random() * 2 ** 31), quiet: false };
  readOptions(argv, "usage: npm run chaos -- [--days 30] [--seed N] [--batch 25] [--page-limit N] [--check-daily] [--quiet]", (flag, value) => {
    const int = (min: number, max: number): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}`);
      return n;
    };
    switch (flag) {
      case "--days":
        out.days = int(1, 3650);
        return true;
      case "--seed":
        out.seed = int(0, 2 ** 31 - 1);
        return true;
      case "--batch":
        out.batchSize = int(1, 5000);
        return true;
      case "--page-limit":
        out.syncPageLimit = int(1, 500);
        return true;
      case "--check-daily":
        out.checkDaily = true;
        return true;
      case "--quiet":
        out.quiet = true;
        return true;
      default:
        return false;
    }
  });
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  packageSnapshot(); // fails with "run npm run build" when there is no build
  process.stdout.write(`chaos: seed ${args.seed}, ${args.days} days${args.syncPageLimit ? `, ${args.syncPageLimit} updates per page` : ""}\n`);
  const result = await runChaos({
    days: args.days,
    seed: args.seed,
    batchSize: args.batchSize,
    syncPageLimit: args.syncPageLimit,
    checkDaily: args.checkDaily,
    log: args.quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatResult(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

main().catch((e: unknown) => {
  process.stderr.write(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
