/**
 * `runtime sim --port 0 --seed 7 --scenario default --speed 1 [--ground-truth FILE]`: serve the
 * simulated venue and print the URL. The runtime's CLI parses the flags and calls `runSimCommand`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { strategyEventLine } from './engine.ts';
import { startNodeSim } from './node/node-sim.ts';
import { scenarioNames } from './scenarios.ts';
import { startSim } from './server.ts';

export interface SimCommandArgs {
  port: number;
  seed: number;
  scenario: string;
  speed: number | 'max';
  host?: string;
  /**
   * Append ground truth as JSONL to this file while running: labels, cascade events, and each labelled
   * strategy event (`{"event":"strategyEvent",…}`, sim/events.ts) when it is over.
   */
  groundTruth?: string;
  /**
   * Also play the trader's own node (issue 17): write its hourly by-block files under this folder
   * (laid out as the node's `~/hl/data`) and serve an order_book_server WebSocket, both from the
   * same market.
   */
  nodeDir?: string;
  /** Port of that order_book_server (default 0: any free port). */
  nodePort?: number;
  /** Port of the node's local info server (`POST /info`: exchangeStatus, fileSnapshot; default 0). */
  nodeInfoPort?: number;
  /** With `nodeDir`: a seeded node fault every this many seconds of play on average (none when absent). */
  nodeFaultsEverySec?: number;
}

export async function runSimCommand(
  args: SimCommandArgs,
  print: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Promise<{ close(): Promise<void>; url: string; bookServerUrl?: string; nodeInfoUrl?: string }> {
  if (!scenarioNames().includes(args.scenario)) {
    throw new Error(`unknown scenario "${args.scenario}"; known: ${scenarioNames().join(', ')}`);
  }
  let out: WriteStream | null = null;
  if (args.groundTruth !== undefined) out = createWriteStream(args.groundTruth, { flags: 'w' });
  const write = (o: object) => out?.write(JSON.stringify(o) + '\n');
  const sim = await startSim({
    port: args.port,
    seed: args.seed,
    scenario: args.scenario,
    speed: args.speed,
    host: args.host ?? '127.0.0.1',
    onLabel: out ? write : undefined,
    onEvent: out ? write : undefined,
  });
  // strategy events start after the server does (they are emitted when over), so none is missed
  if (out) sim.engine.onStrategyEvent = (e) => out!.write(strategyEventLine(e) + '\n');
  print(
    `sim: serving ${sim.wsUrl} (info ${sim.httpUrl}/info) seed=${args.seed} scenario=${args.scenario} speed=${args.speed}` +
      (args.groundTruth ? ` ground-truth=${args.groundTruth}` : ''),
  );
  const node =
    args.nodeDir === undefined
      ? null
      : await startNodeSim({
          engine: sim.engine,
          dir: args.nodeDir,
          port: args.nodePort ?? 0,
          infoPort: args.nodeInfoPort ?? 0,
          host: args.host ?? '127.0.0.1',
        });
  if (node !== null) {
    node.attachToEngine();
    print(`sim: node order_book_server ${node.server!.url} node files under ${args.nodeDir}`);
    print(`sim: node info server ${node.info!.url}`);
    if (args.nodeFaultsEverySec !== undefined && args.nodeFaultsEverySec > 0) {
      node.faults.onFault = (r) =>
        print(
          `sim: node fault ${r.kind}${r.detail ? ` (${r.detail})` : ''} at ${new Date(r.t).toISOString()}`,
        );
      node.faults.schedule({
        seed: args.seed,
        from: sim.engine.time,
        everyMs: args.nodeFaultsEverySec * 1000,
      });
    }
  }
  return {
    url: sim.wsUrl,
    ...(node !== null ? { bookServerUrl: node.server!.url, nodeInfoUrl: node.info!.url } : {}),
    close: async () => {
      await node?.close();
      await sim.close();
      if (out) await new Promise<void>((resolve) => out!.end(() => resolve()));
    },
  };
}
