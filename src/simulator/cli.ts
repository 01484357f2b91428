/**
 * `npm run simulator -- --port 4599 [--host 127.0.0.1] [--state FILE] [--today YYYY-MM-DD]`
 * Serves the simulated Plaid API until SIGINT/SIGTERM.
 */
import { readOptions } from "../cli/options";
import { startSimulator } from "./index";

function parseArgs(argv: string[]): { port: number; host?: string; stateFile?: string; today?: string } {
  const out: { port: number; host?: string; stateFile?: string; today?: string } = { port: 4599 };
  readOptions(argv, "usage: npm run simulator -- [--port 4599] [--host 127.0.0.1] [--state FILE] [--today YYYY-MM-DD]", (flag, value) => {
    switch (flag) {
      case "--port": {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0..65535");
        out.port = port;
        return true;
      }
      case "--host":
        out.host = value();
        return true;
      case "--state":
        out.stateFile = value();
        return true;
      case "--today":
        out.today = value();
        return true;
      default:
        return false;
    }
  });
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sim = await startSimulator(args);
  process.stdout.write(
    [
      `Plaid simulator listening on ${sim.url}`,
      `  client_id: ${sim.clientId}`,
      `  secret:    ${sim.secret}`,
      `  state:     ${args.stateFile ?? "(in memory)"}`,
      `  Sandbox users: user_good/pass_good, user_transactions_dynamic/<any>, user_custom/<JSON>`,
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`plaid simulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
