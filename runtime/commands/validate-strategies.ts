/** `runtime validate-strategies --scenario NAME [--seed N] [--json]`: precision, recall, PnL per strategy. */
import { engineConfigFrom } from '../../decision/engine.ts';
import { formatStrategiesValidation, validateStrategies } from '../../replay/validate-strategies.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, num, parse, UsageError } from './common.ts';

export const VALIDATE_STRATEGIES_USAGE = `usage: runtime validate-strategies --scenario NAME [--seed N] [--json]

Plays a simulator scenario as fast as possible through the real ingest pipeline and decision side (every
strategy enabled as configured) and matches each strategy's entries, read from the decision log, with the
scenario's labelled events (exhaustion spikes for kinematics, liquidation cascades for cascade, range
edges for geometry): precision (entries inside an event of its kind), recall (events it took), entries
made outside its own regime (must be 0), and realised PnL of its round trips.

options:
  --scenario NAME   ${scenarioNames().join(' | ')} (default exhaustion)
  --seed N          seed (default 7)
  --json            one JSON object: {strategies: [{strategy, precision, recall, pnl, …}], …}
`;

export async function validateStrategiesCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, VALIDATE_STRATEGIES_USAGE, async () => {
    const { values } = parse(argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
    if (values.help) {
      io.stdout(VALIDATE_STRATEGIES_USAGE);
      return 0;
    }
    const scenario = values.scenario ?? 'exhaustion';
    if (!scenarioNames().includes(scenario)) throw new UsageError(`unknown scenario '${scenario}'`);
    const v = validateStrategies({
      scenario,
      seed: num(values.seed, 'seed', 7),
      config: engineConfigFrom(configFrom(values)),
      now: () => performance.now(),
    });
    io.stdout(values.json ? JSON.stringify(v) : formatStrategiesValidation(v));
    return 0;
  });
}
