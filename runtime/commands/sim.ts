/** `runtime sim --port 0 --seed 7 --scenario default --speed 1`: serve the simulated venue alone. */
import { runUntilStopped } from '../signals.ts';
import { runSimCommand } from '../../sim/cli.ts';
import { startPrerenderedSim } from '../../sim/prerendered.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { COMMON_OPTIONS, guarded, type Io, num, parse, UsageError } from './common.ts';

export const SIM_USAGE = `usage: runtime sim [options]

Serves the built-in market simulator (Hyperliquid WebSocket + POST /info) on loopback and prints its URL.

options:
  --port N              port (default 0: any free port)
  --seed N              seed (default 7); the same seed and scenario give the same stream
  --scenario NAME       ${scenarioNames().join(' | ')} (default default)
  --speed N|max         ×N real time, or as fast as possible (default 1)
  --ground-truth FILE   write the ground truth as JSONL: regime labels, cascade events and the
                        labelled strategy events (exhaustion, cascade, range-edge) with their windows
  --duration S          stop after S seconds (default: until Ctrl-C)
  --node-dir DIR        also play the trader's own node from the same market: write its hourly
                        node_fills_by_block / node_order_statuses_by_block / node_raw_book_diffs_by_block
                        files under DIR (as ~/hl/data) and serve an order_book_server WebSocket
                        (l2Book, trades, l4Book), printing its ws:// URL
  --node-port N         that order_book_server's port (default 0: any free port)
  --node-info-port N    the node's info server's port (POST /info: exchangeStatus, fileSnapshot of the
                        L4 books; default 0: any free port), printed as a third line
  --node-faults S       with --node-dir: a seeded node fault every S seconds of play on average
                        (skipped block, stalled writer, part-written line, hour rollover inside a
                        block, book-server restart), each printed as it happens
                        (the node's files take about 1.5 MB per second of play with the 3 default
                        coins, and about 4.5 ms of CPU per block: measured on the 2-core dev host)
  --prerender S         generate S seconds of play (at --speed) before serving, then only send them:
                        market channels only (no /info, no faults); for load tests, where the live
                        simulator at a high speed would take the CPU the system under test needs
`;

export async function simCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, SIM_USAGE, async () => {
    const { values } = parse(argv, {
      ...COMMON_OPTIONS,
      port: { type: 'string' },
      'ground-truth': { type: 'string' },
      prerender: { type: 'string' },
      'node-dir': { type: 'string' },
      'node-port': { type: 'string' },
      'node-info-port': { type: 'string' },
      'node-faults': { type: 'string' },
    });
    if (values.help) {
      io.stdout(SIM_USAGE);
      return 0;
    }
    if (values.prerender !== undefined && values['node-dir'] !== undefined) {
      throw new UsageError('--node-dir does not combine with --prerender (pre-rendered frames have no node)');
    }
    if (values.prerender !== undefined) {
      const speed = num(values.speed, 'speed', 1);
      const seconds = num(values.prerender, 'prerender', 0);
      const sim = await startPrerenderedSim({
        seed: num(values.seed, 'seed', 7),
        scenario: values.scenario ?? 'default',
        speed,
        seconds,
      });
      io.stdout(`sim: serving ${sim.url} (pre-rendered: ${sim.frames} frames, ${seconds} s at ×${speed})\n`);
      await runUntilStopped(
        () => sim.close(),
        values.duration !== undefined ? num(values.duration, 'duration', 0) : null,
      );
      return 0;
    }
    const args: Parameters<typeof runSimCommand>[0] = {
      port: num(values.port, 'port', 0),
      seed: num(values.seed, 'seed', 7),
      scenario: values.scenario ?? 'default',
      speed: values.speed === 'max' ? 'max' : num(values.speed, 'speed', 1),
    };
    if (values['ground-truth']) args.groundTruth = values['ground-truth'];
    if (values['node-dir'] !== undefined) args.nodeDir = values['node-dir'];
    if (values['node-port'] !== undefined) args.nodePort = num(values['node-port'], 'node-port', 0);
    if (values['node-info-port'] !== undefined)
      args.nodeInfoPort = num(values['node-info-port'], 'node-info-port', 0);
    if (values['node-faults'] !== undefined) {
      if (values['node-dir'] === undefined) throw new UsageError('--node-faults needs --node-dir');
      args.nodeFaultsEverySec = num(values['node-faults'], 'node-faults', 0);
    }
    const sim = await runSimCommand(args, io.stdout);
    await runUntilStopped(
      () => sim.close(),
      values.duration !== undefined ? num(values.duration, 'duration', 0) : null,
    );
    return 0;
  });
}
