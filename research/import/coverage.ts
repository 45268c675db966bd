/**
 * The coverage report of an import: what the journal now holds and what it does not. Time range, frames per
 * channel and per coin, the hours with no data (holes — whole hours missing for every coin, then the hours a
 * channel of one coin is missing within the import's range), corrupt lines counted with their first reasons,
 * and which inputs of the decision side the data cannot provide, with the consequence stated (never faked).
 */

const HOUR = 3_600_000;
export const MAX_REASONS = 5;

export interface Hole {
  /** '*' = every channel of every coin. */
  channel: string;
  coin: string;
  from: string;
  /** Exclusive end (the first hour with data again, or the range's end). */
  to: string;
  hours: number;
}

export interface FileCoverage {
  path: string;
  format: string;
  lines: number;
  frames: number;
  corrupt: number;
  /** The file could not be read to its end (truncated, not the format it was named as). */
  error?: string;
}

export interface Limitation {
  /** What is missing (a channel, a field, a cadence). */
  input: string;
  /** The decision-side inputs it leaves NULL (or coarse). */
  leaves: string;
  /** What follows for regimes and strategies. */
  consequence: string;
}

export interface CoverageReport {
  formats: string[];
  source: string;
  dataDir: string;
  /** ISO times of the first and last frame (null: nothing imported). */
  from: string | null;
  to: string | null;
  hours: number;
  lines: number;
  frames: number;
  channels: Record<string, number>;
  coins: Record<string, Record<string, number>>;
  /** Lines that could not be read (skipped), files that could not be read to their end, the first reasons. */
  corrupt: { lines: number; files: number; reasons: string[] };
  /** Parts of lines deliberately not imported (pong, subscriptionResponse, empty lines…), by cause. */
  skipped: Record<string, number>;
  /** Format counts: fills, trades, liquidations, unpairedFills, blocks, noBookRows… */
  stats: Record<string, number>;
  notes: string[];
  /** Frames whose time was before the previous frame's (journaled at the previous time, in order). */
  outOfOrder: number;
  holes: Hole[];
  /** Times the data stopped for longer than the hole threshold (journaled as a closed connection). */
  journalGaps: number;
  holeMs: number;
  cannotProvide: Limitation[];
  files: FileCoverage[];
  journal: {
    records: number;
    ticks: number;
    conn: number;
    firstSeq: number | null;
    lastSeq: number | null;
    days: string[];
  };
}

/** Accumulates what an import wrote, hour by hour, channel by channel. */
export class CoverageAccumulator {
  first = Number.NaN;
  last = Number.NaN;
  frames = 0;
  readonly channels: Record<string, number> = {};
  readonly coins: Record<string, Record<string, number>> = {};
  /** `channel\0coin` → the hours (index since epoch) with data. */
  private readonly hoursByKey = new Map<string, Set<number>>();
  private readonly allHours = new Set<number>();

  frame(time: number, channel: string, coin: string): void {
    this.frames++;
    if (!(time >= this.first)) this.first = Number.isNaN(this.first) ? time : Math.min(this.first, time);
    if (!(time <= this.last)) this.last = Number.isNaN(this.last) ? time : Math.max(this.last, time);
    this.channels[channel] = (this.channels[channel] ?? 0) + 1;
    const c = (this.coins[coin] ??= {});
    c[channel] = (c[channel] ?? 0) + 1;
    const h = Math.floor(time / HOUR);
    this.allHours.add(h);
    const key = `${channel}\u0000${coin}`;
    let s = this.hoursByKey.get(key);
    if (!s) {
      s = new Set();
      this.hoursByKey.set(key, s);
    }
    s.add(h);
  }

  /** Missing hours in [first hour, last hour]: those with no data at all, then per channel and coin. */
  holes(): Hole[] {
    if (Number.isNaN(this.first)) return [];
    const h0 = Math.floor(this.first / HOUR);
    const h1 = Math.floor(this.last / HOUR);
    const out: Hole[] = [];
    const runs = (has: (h: number) => boolean, channel: string, coin: string) => {
      let start = -1;
      for (let h = h0; h <= h1 + 1; h++) {
        const missing = h <= h1 && !has(h);
        if (missing && start < 0) start = h;
        else if (!missing && start >= 0) {
          out.push({
            channel,
            coin,
            from: new Date(start * HOUR).toISOString(),
            to: new Date(h * HOUR).toISOString(),
            hours: h - start,
          });
          start = -1;
        }
      }
    };
    runs((h) => this.allHours.has(h), '*', '*');
    const keys = [...this.hoursByKey.keys()].sort();
    for (const k of keys) {
      const s = this.hoursByKey.get(k)!;
      const [channel, coin] = k.split('\u0000') as [string, string];
      // hours missing for everything are reported once, above
      runs((h) => s.has(h) || !this.allHours.has(h), channel, coin);
    }
    return out;
  }

  hours(): number {
    return Number.isNaN(this.first) ? 0 : (this.last - this.first) / HOUR;
  }
}

/**
 * What the imported channels cannot give the decision side (RULEBOOK "Inputs", "Regime controller"): a
 * channel that is absent leaves its inputs NULL, and a rule that needs a NULL input is false.
 */
export function limitations(
  channels: Record<string, number>,
  formats: readonly string[],
  stats: Record<string, number>,
): Limitation[] {
  const has = (c: string) => (channels[c] ?? 0) > 0;
  const out: Limitation[] = [];
  const unfresh = ['l2Book', 'bbo', 'activeAssetCtx'].filter((c) => !has(c));
  if (unfresh.length > 0)
    out.push({
      input: 'health gate',
      leaves: `${unfresh.join(', ')} never fresh (health needs l2Book, bbo and activeAssetCtx of every coin fresh)`,
      consequence:
        'health never validates (stays WARMING): no regime, no strategy, no order over this data; the import writes ' +
        'no frame the data does not hold — trading over it needs a health gate that does not require the missing channels',
    });
  if (!has('l2Book') && !has('bbo'))
    out.push({
      input: 'book (l2Book, bbo)',
      leaves: 'mid, depthBid/depthAsk, depthAsym5s, rangeHigh15m/rangeLow15m NULL',
      consequence:
        'regime DISABLED throughout (SIDEWAYS and EXPANSION both need depthAsym5s); every strategy disabled',
    });
  if (!has('activeAssetCtx'))
    out.push({
      input: 'asset contexts (activeAssetCtx)',
      leaves: 'open interest and funding NULL: oiRange15m, oiBuild1h, oiDrop10s, fundingDev, fundingVelocity',
      consequence:
        'regime DISABLED throughout (SIDEWAYS needs oiRange15m and fundingDev, EXPANSION oiBuild1h and fundingDev); ' +
        'every strategy disabled; import asset-ctxs for the same hours together with this data',
    });
  if (!has('trades'))
    out.push({
      input: 'trades',
      leaves: 'flow windows NULL: buyNotional/sellNotional, aggShare1s, 5 s aggressor share',
      consequence:
        'Kinematics cannot trigger (aggShare1s) and Cascade cannot arm (5 s flow share) even in their regime; ' +
        'import node-fills for the same hours to provide trades',
    });
  if (formats.includes('asset-ctxs') && has('activeAssetCtx'))
    out.push(
      {
        input: 'asset-context cadence (one row per coin per minute)',
        leaves: 'oiDrop10s sees at most one OI sample per minute; OI and funding windows are coarse',
        consequence:
          'OI-drop invalidations and Cascade arming react up to a minute late; the contexts are older than the ' +
          'health bound (health.assetCtxMs 5 000 × staleFactor 3 = 15 s by default) 45 s of each minute: health ' +
          'leaves HEALTHY unless health.assetCtxMs is at least 25 000',
      },
      {
        input: 'dayBaseVlm (not a column of asset_ctxs)',
        leaves: 'written as "0" (the frame schema requires a decimal); nothing on the decision side reads it',
        consequence: 'none for regimes and strategies; do not read dayBaseVlm from this data',
      },
    );
  if ((stats.unpairedFills ?? 0) > 0)
    out.push({
      input: `${stats.unpairedFills} fill(s) without their pair in the same block`,
      leaves: 'those trades are not rebuilt',
      consequence: 'flow windows miss their notional',
    });
  return out;
}

function fmtCounts(r: Record<string, number>): string {
  const e = Object.entries(r);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The report as text for a terminal. */
export function formatCoverage(r: CoverageReport): string {
  const L: string[] = [];
  L.push(`import ${r.formats.join(' + ')} → ${r.dataDir} (source ${r.source})`);
  L.push(
    r.from === null
      ? 'time range: nothing imported'
      : `time range: ${r.from} … ${r.to} (${r.hours.toFixed(2)} h)`,
  );
  L.push(`lines: ${r.lines}, frames: ${r.frames} (${fmtCounts(r.channels)})`);
  for (const [coin, c] of Object.entries(r.coins).sort(([a], [b]) => a.localeCompare(b)))
    L.push(`  ${coin}: ${fmtCounts(c)}`);
  L.push(
    `journal: ${r.journal.records} records (${r.frames} frames, ${r.journal.ticks} ticks, ${r.journal.conn} connection events), ` +
      `seq ${r.journal.firstSeq ?? '-'}…${r.journal.lastSeq ?? '-'}, days ${r.journal.days.join(', ') || '-'}`,
  );
  if (Object.keys(r.stats).length > 0) L.push(`counts: ${fmtCounts(r.stats)}`);
  if (Object.keys(r.skipped).length > 0) L.push(`skipped (not market data): ${fmtCounts(r.skipped)}`);
  L.push(
    `corrupt lines: ${r.corrupt.lines} (skipped)${r.corrupt.files > 0 ? `; files not read to their end: ${r.corrupt.files}` : ''}`,
  );
  for (const s of r.corrupt.reasons) L.push(`  ${s}`);
  for (const s of r.notes) L.push(`  note: ${s}`);
  if (r.outOfOrder > 0)
    L.push(`out of order: ${r.outOfOrder} frame(s) journaled at the previous frame's time`);
  L.push(
    `journal gaps (no data for more than ${r.holeMs / 1000} s, journaled as a closed connection): ${r.journalGaps}`,
  );
  if (r.holes.length === 0) L.push('holes: none (every hour of the range has data)');
  else {
    L.push(`holes (missing hours): ${r.holes.length}`);
    for (const h of r.holes)
      L.push(
        `  ${h.channel === '*' ? 'all data' : `${h.channel} ${h.coin}`}: ${h.from} … ${h.to} (${h.hours} h)`,
      );
  }
  if (r.cannotProvide.length === 0) L.push('cannot provide: nothing the decision side reads is missing');
  else {
    L.push('cannot provide:');
    for (const l of r.cannotProvide) L.push(`  ${l.input}: ${l.leaves} → ${l.consequence}`);
  }
  const bad = r.files.filter((f) => f.error !== undefined);
  for (const f of bad) L.push(`file not read to its end: ${f.path}: ${f.error}`);
  return `${L.join('\n')}\n`;
}
