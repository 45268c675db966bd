/** `runtime study wallets <data dir> | --scenario NAME`: does the manipulator flag carry information? */
import { writeFileSync } from 'node:fs';
import { journalDays, NoJournalError } from '../../actors/journal/days.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { formatWalletsStudy, studyWallets, type StudyOptions } from '../../replay/study-wallets.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import type { Config } from '../config.ts';
import {
  COMMON_OPTIONS,
  configFrom,
  guarded,
  type Io,
  num,
  parse,
  recordedConfig,
  UsageError,
} from './common.ts';
import { replayConfig } from './replay.ts';

export const STUDY_USAGE = `usage: runtime study wallets <data dir | journal day folder> [options]
       runtime study wallets --scenario NAME [--seed N] [options]

Measures whether the wallet tracker's manipulator flag (hot-state isManipulatorActive /
manipulatorDirection) carries information, on any journal (simulated or real) or on a simulator scenario
played in memory. One replay through the ingest pipeline and decision side; at each control tick every
coin's slot is sampled as the decision side saw it. Per horizon (10 s, 1 min, 5 min), on one sample per
horizon per coin: the forward mid return (bps) of all samples and of the flagged ones in the manipulator's
direction, with 95 % intervals; the share of samples followed by a cascade within the horizon, flagged vs
unflagged vs all, with Wilson 95 % intervals; and each strategy's PnL in the same replay with the wallet
filter off (as run) and on (round trips whose entry was against an active manipulator removed).

options:
  --scenario NAME     ${scenarioNames().join(' | ')} (instead of a data dir)
  --seed N            the scenario's seed (default 7)
  --from DAY --to DAY  of a data dir, only these days (YYYY-MM-DD)
  --decisions FILE    write the wallet class facts as decision records (kind wallet.class), one a line
  --config FILE, --coins BTC,ETH   as for runtime replay
  --json              one JSON object
`;

export async function studyCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, STUDY_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(STUDY_USAGE);
      return 0;
    }
    const [what, dir] = positionals;
    if (what !== 'wallets') throw new UsageError(`unknown study '${what ?? ''}' (known: wallets)`);
    let config: Config;
    let source: StudyOptions['source'];
    if (values.scenario !== undefined) {
      if (dir !== undefined) throw new UsageError('give a data dir or --scenario, not both');
      if (!scenarioNames().includes(values.scenario))
        throw new UsageError(`unknown scenario '${values.scenario}'`);
      config = configFrom(values);
      source = { scenario: values.scenario, seed: num(values.seed, 'seed', 7) };
    } else {
      if (dir === undefined) throw new UsageError('missing <data dir> (or --scenario NAME)');
      let days: string[];
      try {
        days = journalDays(dir, { from: values.from, to: values.to });
      } catch (e) {
        if (e instanceof NoJournalError) throw new UsageError(e.message);
        throw e;
      }
      config = replayConfig(days[0]!, values);
      source = { days };
    }
    const s = studyWallets({
      config: engineConfigFrom(config),
      wallets: config.wallets,
      source,
      configFor: (run) => engineConfigFrom(recordedConfig(run)),
      now: () => performance.now(),
    });
    if (values.decisions !== undefined)
      writeFileSync(
        values.decisions,
        s.facts.map((f) => `${JSON.stringify({ kind: 'wallet.class', ...f })}\n`).join(''),
      );
    if (values.json) {
      const { facts, ...rest } = s;
      io.stdout(`${JSON.stringify({ ...rest, facts: facts.length })}\n`);
    } else io.stdout(formatWalletsStudy(s));
    return 0;
  });
}
