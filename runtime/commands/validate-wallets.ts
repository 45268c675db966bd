/** `runtime validate-wallets --scenario NAME [--seed N] [--json]`: wallet classes vs the planted wallets. */
import { formatWalletsValidation, validateWallets } from '../../replay/validate-wallets.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, num, parse, UsageError } from './common.ts';

export const VALIDATE_WALLETS_USAGE = `usage: runtime validate-wallets --scenario NAME [--seed N] [--json]

Plays a simulator scenario's trades and asset contexts as fast as possible through the state builder with
its wallet tracker on (config section \`wallets\`), and scores the behaviour classes it grants against the
wallets the simulator planted: short-hold against the market makers; pre-liquidation, post-cascade-exit
and manipulator against the manipulators (precision and recall per class). Per planted manipulation
episode (a build before a cascade, the exit after it) it says whether the coin's hot-state slot showed
the manipulator active in its direction before the cascade began, and how long before.

options:
  --scenario NAME   ${scenarioNames().join(' | ')} (default cascade)
  --seed N          seed (default 7)
  --json            one JSON object: {classes: [{class, precision, recall, …}], episodes: […], …}
`;

export async function validateWalletsCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, VALIDATE_WALLETS_USAGE, async () => {
    const { values } = parse(argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
    if (values.help) {
      io.stdout(VALIDATE_WALLETS_USAGE);
      return 0;
    }
    const scenario = values.scenario ?? 'cascade';
    if (!scenarioNames().includes(scenario)) throw new UsageError(`unknown scenario '${scenario}'`);
    const cfg = configFrom(values);
    const v = validateWallets({
      scenario,
      seed: num(values.seed, 'seed', 7),
      coins: [...cfg.coins],
      wallets: cfg.wallets,
      now: () => performance.now(),
    });
    if (values.json) {
      const { facts, ...rest } = v;
      io.stdout(`${JSON.stringify({ ...rest, facts: facts.length })}\n`);
    } else io.stdout(formatWalletsValidation(v));
    return 0;
  });
}
