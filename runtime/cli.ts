/**
 * `runtime …` — the command line (also `npm start -- …` and `npx runtime …`).
 * Each command loads its module on demand, so `runtime --help` is instant.
 */
import { pathToFileURL } from 'node:url';
import type { Io } from './commands/common.ts';

export type { Io };

const COMMON = `Common flags (where they apply):
  --data DIR        journal and state directory (default ./data)
  --config FILE     JSON config file (validated; environment HLT_* and flags override it)
  --scenario NAME   simulator scenario: default | sideways | expansion-cascade | chop
  --seed N          simulator seed
  --speed N         simulator pace (×N real time; "max" = as fast as possible)
  --duration S      stop after S seconds and print a summary
  --decisions FILE  write the decision log (one JSON object a line)`;

export const USAGE = `usage: runtime <command> [options]

Commands:
  start                 the embedded default: simulator on loopback → feed → journal → state →
                        regime → strategies → paper execution, with the dashboard
  start live            real venue data (--network mainnet|testnet, --url ws://…, --coins BTC,ETH);
                        paper venue unless --live-trading
  sim                   run the simulator alone and print the URL it serves
  record                feed + journal only (--source URL|sim --coins … --data DIR [--duration S])
  import <format> <files…>  real Hyperliquid history into a journal (archive-l2book | asset-ctxs |
                        node-fills | hftbacktest; --data DIR [--json]) with a coverage report
  replay <data dir>     replay a journal through the whole decision side (--decisions FILE)
  backtest <data dir>   a replay read as performance figures, fees and funding (--set key=value, --json,
                        --out tearsheet.html)
  sweep <data dir>      a grid or random search of decision-side parameters over a journal range, on
                        every core or through Redis (--grid sweep.json, --random N, --redis URL, --json)
  query <data dir> "<SQL>"  SQL (embedded DuckDB) over the journal's decisions, fills, trades, market
                        frames, runs and sweep results, exported to Parquet on demand (--json, --csv)
  export <data dir>     those tables as Parquet files (--out DIR)
  worker                run sweep runs queued on Redis on this host's cores (--redis URL)
  status                the running instance's state (--data DIR, --json)
  journal <sub> <dir>   journal tools: stats | verify | export | tail
  validate-regime       confusion matrix of the regime controller against the simulator's ground truth
  validate-strategies   precision, recall and PnL of each strategy against the simulator's labelled events
  validate-wallets      precision and recall of the wallet classes against the simulator's planted wallets
  study wallets <dir>   does the manipulator flag carry information? forward returns, cascade incidence and
                        strategy PnL with the wallet filter off/on, with intervals (--scenario NAME: in memory)
  diagrams              regenerate diagrams/ from machines/ (--check: fail when stale)

Run \`runtime <command> --help\` for a command's flags.

${COMMON}
`;

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  sim: async () => (await import('./commands/sim.ts')).simCommand,
  record: async () => (await import('./commands/record.ts')).recordCommand,
  import: async () => (await import('./commands/import.ts')).importCommand,
  replay: async () => (await import('./commands/replay.ts')).replayCommand,
  backtest: async () => (await import('./commands/backtest.ts')).backtestCommand,
  sweep: async () => (await import('./commands/sweep.ts')).sweepCommand,
  query: async () => (await import('./commands/query.ts')).queryCommand,
  export: async () => (await import('./commands/query.ts')).exportCommand,
  worker: async () => (await import('./commands/worker.ts')).workerCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  journal: async () => {
    const m = await import('./commands/journal.ts');
    const stream = (f: (s: string) => void) => ({
      write: (s: string) => {
        f(s);
        return true;
      },
    });
    return (argv, io) => m.journalCommand(argv, { stdout: stream(io.stdout), stderr: stream(io.stderr) });
  },
  'validate-regime': async () => (await import('./commands/validate-regime.ts')).validateRegimeCommand,
  'validate-strategies': async () =>
    (await import('./commands/validate-strategies.ts')).validateStrategiesCommand,
  'validate-wallets': async () => (await import('./commands/validate-wallets.ts')).validateWalletsCommand,
  study: async () => (await import('./commands/study.ts')).studyCommand,
  diagrams: async () => {
    const m = await import('./diagrams.ts');
    return (argv, io) => m.diagramsCommand(argv, io.stdout, io.stderr);
  },
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(USAGE);
    return cmd ? 0 : 2;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    io.stderr(`runtime: unknown command '${cmd}'\n\n${USAGE}`);
    return 2;
  }
  const run = await load();
  return run(rest, io);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const io: Io = {
    stdout: (s) => void process.stdout.write(s.endsWith('\n') || s === '' ? s : `${s}\n`),
    stderr: (s) => void process.stderr.write(s.endsWith('\n') || s === '' ? s : `${s}\n`),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`runtime: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
