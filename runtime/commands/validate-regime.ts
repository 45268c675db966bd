/** `runtime validate-regime --scenario NAME [--seed N] [--json]`: confusion matrix vs the ground truth. */
import { engineConfigFrom } from '../../decision/engine.ts';
import { formatValidation, validateRegime } from '../../replay/validate-regime.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, num, parse, UsageError } from './common.ts';

export const VALIDATE_USAGE = `usage: runtime validate-regime --scenario NAME [--seed N] [--json]

Plays a simulator scenario as fast as possible through the real ingest pipeline and decision side, and
compares the regime controller's classification with the simulator's ground truth per coin per second
after the 1 h warm-up: a confusion matrix, the agreement on labelled SIDEWAYS and EXPANSION seconds, and
the seconds classified as the opposite active regime.

options:
  --scenario NAME   ${scenarioNames().join(' | ')} (default default)
  --seed N          seed (default 7)
  --json            one JSON object: {agreement, opposite, matrix, …}
`;

export async function validateRegimeCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, VALIDATE_USAGE, async () => {
    const { values } = parse(argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
    if (values.help) {
      io.stdout(VALIDATE_USAGE);
      return 0;
    }
    const scenario = values.scenario ?? 'default';
    if (!scenarioNames().includes(scenario)) throw new UsageError(`unknown scenario '${scenario}'`);
    const v = validateRegime({
      scenario,
      seed: num(values.seed, 'seed', 7),
      config: engineConfigFrom(configFrom(values)),
      now: () => performance.now(),
    });
    io.stdout(values.json ? JSON.stringify(v) : formatValidation(v));
    return 0;
  });
}
