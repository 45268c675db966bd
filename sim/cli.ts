/**
 * `runtime sim --port 0 --seed 7 --scenario default --speed 1 [--ground-truth FILE]`: serve the
 * simulated venue and print the URL. The runtime's CLI parses the flags and calls `runSimCommand`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { strategyEventLine } from './engine.ts';
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
}

export async function runSimCommand(
  args: SimCommandArgs,
  print: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Promise<{ close(): Promise<void>; url: string }> {
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
  return {
    url: sim.wsUrl,
    close: async () => {
      await sim.close();
      if (out) await new Promise<void>((resolve) => out!.end(() => resolve()));
    },
  };
}
