/**
 * Test helper: play a simulator scenario the way the system sees it (the offline session's records —
 * frames stamped on arrival, a control tick every `tickMs` — through the real ingest pipeline and state
 * builder) and sample, at every control tick, each coin's hot-state slot: the fields the RULEBOOK's
 * regime table, Kinematics and Cascade read. The regime per tick is the repo's own classification
 * (machines/regime.rules.ts, default thresholds) with the controller's 3-tick confirmation.
 */
import { classify } from '../../machines/regime.rules.ts';
import { DEFAULT_REGIME_THRESHOLDS, type Regime } from '../../machines/regime.types.ts';
import { simSession } from '../../replay/sim-session.ts';
import { StateBuilder } from '../../state/builder.ts';
import { F } from '../../state/hotstate-layout.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { RecordKind } from '../../state/records.ts';

export interface HotSample {
  t: number;
  mid: number;
  ret5s: number;
  sigma5s1h: number;
  mid1sAgo: number;
  mid5sAgo: number;
  oi: number;
  buyNtl1s: number;
  sellNtl1s: number;
  buyNtl5s: number;
  sellNtl5s: number;
  oiDrop10s: number;
  depthBid20: number;
  depthAsk20: number;
  depthBid20Mean5s: number;
  depthAsk20Mean5s: number;
  rangeHigh15m: number;
  rangeLow15m: number;
  buyMean5s1h: number;
  sellMean5s1h: number;
  oiRange15m: number;
  oiBuild1h: number;
  fundingDev: number;
  depthAsym5s: number;
  /** The tick's raw classification (no confirmation). */
  raw: Regime;
  /** The controller's regime: a raw regime held for `confirmTicks` consecutive ticks; DISABLED at once. */
  regime: Regime;
}

export interface ProbeOptions {
  seed: number;
  scenario: string;
  coins?: string[];
  durationMs?: number;
  tickMs?: number;
  /** The l2Book subscription the system makes (default true, the config's default). */
  fast?: boolean;
  confirmTicks?: number;
}

export interface ProbeResult {
  samples: Map<string, HotSample[]>;
  startTime: number;
  endTime: number;
  rejected: number;
}

export function probeScenario(opts: ProbeOptions): ProbeResult {
  const coins = opts.coins ?? ['BTC', 'ETH', 'SOL'];
  const confirm = opts.confirmTicks ?? 3;
  const builder = new StateBuilder({ coins });
  const pipeline = new IngestPipeline({ builder });
  const samples = new Map<string, HotSample[]>(coins.map((c) => [c, []]));
  const streak = new Map<string, { raw: Regime; n: number; regime: Regime }>(
    coins.map((c) => [c, { raw: 'DISABLED', n: 0, regime: 'DISABLED' }]),
  );
  const r = simSession({
    seed: opts.seed,
    scenario: opts.scenario,
    coins,
    tickMs: opts.tickMs ?? 1_000,
    fast: opts.fast ?? true,
    ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    onRecord: (rec) => {
      pipeline.process(rec);
      if (rec.kind !== RecordKind.Tick) return;
      pipeline.drainEvents();
      for (const coin of coins) {
        const s = builder.coin(coin)!.slot;
        const inputs = {
          oiRange15m: s[F.oiRange15m]!,
          oiBuild1h: s[F.oiBuild1h]!,
          fundingDev: s[F.fundingDev]!,
          depthAsym5s: s[F.depthAsym5s]!,
        };
        const raw = classify(inputs, 'HEALTHY', false, DEFAULT_REGIME_THRESHOLDS).regime;
        const st = streak.get(coin)!;
        st.n = raw === st.raw ? st.n + 1 : 1;
        st.raw = raw;
        if (raw === 'DISABLED') st.regime = 'DISABLED';
        else if (st.n >= confirm) st.regime = raw;
        else if (st.regime !== raw) st.regime = 'DISABLED';
        samples.get(coin)!.push({
          t: rec.time,
          mid: s[F.mid]!,
          ret5s: s[F.ret5s]!,
          sigma5s1h: s[F.sigma5s1h]!,
          mid1sAgo: s[F.mid1sAgo]!,
          mid5sAgo: s[F.mid5sAgo]!,
          oi: s[F.oi]!,
          buyNtl1s: s[F.buyNtl1s]!,
          sellNtl1s: s[F.sellNtl1s]!,
          buyNtl5s: s[F.buyNtl5s]!,
          sellNtl5s: s[F.sellNtl5s]!,
          oiDrop10s: s[F.oiDrop10s]!,
          depthBid20: s[F.depthBid20]!,
          depthAsk20: s[F.depthAsk20]!,
          depthBid20Mean5s: s[F.depthBid20Mean5s]!,
          depthAsk20Mean5s: s[F.depthAsk20Mean5s]!,
          rangeHigh15m: s[F.rangeHigh15m]!,
          rangeLow15m: s[F.rangeLow15m]!,
          buyMean5s1h: s[F.buyMean5s1h]!,
          sellMean5s1h: s[F.sellMean5s1h]!,
          ...inputs,
          raw,
          regime: st.regime,
        });
      }
    },
  });
  return { samples, startTime: r.startTime, endTime: r.endTime, rejected: pipeline.counters.rejected };
}
