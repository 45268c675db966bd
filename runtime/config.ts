/**
 * The one configuration: a JSON file validated by zod, overridable by environment (`HLT_*`) and flags.
 * Every RULEBOOK default lives here and is printed at start (secrets redacted). Errors name the field.
 *
 * Strict everywhere: an unknown key in any section is an error naming the key (and, from the
 * environment, the variable) and its nearest valid name; a key-like name (`privateKey`, `secret`, …)
 * or a key-shaped value (64 hex digits, with or without 0x) anywhere is refused, and the error never
 * quotes the value. Limits that are unsafe when too large (or meaningless when too small) are bounded.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  INGEST_OLD_SPACE_MB,
  INGEST_SPIN_US,
  INGEST_YOUNG_GENERATION_MB,
} from '../actors/ingest/protocol.ts';
import { NODE_STREAMS } from '../actors/node/tail.ts';
import { DEFAULT_STALE_MS } from '../state/heights.ts';
import { STRATEGIES } from '../decision/registry.ts';
import { WalletConfigSchema } from '../state/wallets.ts';
import { FAMILY_REGIME } from '../strategies/definition.ts';
import { AlertsConfigSchema } from './alerts.ts';

const pos = z.number().positive();
const nonneg = z.number().nonnegative();

/**
 * A perp coin as the venue names it: the `meta` name (`BTC`, `kPEPE`) or a HIP-3 `dex:COIN`
 * (`xyz:XYZ100`) — docs/hyperliquid-protocol.md, "Coin naming".
 */
const COIN_RE = /^(?:[a-z][a-z0-9]{0,9}:)?[A-Za-z0-9]{1,20}$/;

const coinList = z
  .array(z.string().regex(COIN_RE, 'not a coin name (a perp as the venue names it: BTC, kPEPE or dex:COIN)'))
  .min(1)
  .superRefine((coins, ctx) => {
    const seen = new Set<string>();
    for (const c of coins) {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', message: `duplicate coin '${c}'` });
      seen.add(c);
    }
  });

export const ConfigSchema = z
  .object({
    /**
     * The network orders are signed for. No default: runtime/network.ts resolves it from this (or
     * `--network`), the URL and what the venue announces, and refuses a mismatch or an ambiguity.
     */
    network: z.enum(['mainnet', 'testnet', 'sim']).optional(),
    /** WebSocket URL of the data source; default per network (sim: the embedded simulator). */
    url: z.string().url().optional(),
    coins: coinList.default(['BTC', 'ETH', 'SOL']),
    dataDir: z.string().default('./data'),
    feed: z
      .object({
        pingAfterMs: pos.default(20_000),
        pongTimeoutMs: pos.default(10_000),
        receiveTimeoutMs: pos.default(30_000),
        backoffBaseMs: pos.default(250),
        backoffMaxMs: pos.default(30_000),
        ringBytes: pos.default(64 * 1024 * 1024),
        overflowFrames: pos.default(200_000),
        fastBook: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * The market sources, several at once, each tagged in the journal (issue 17): `public` (the venue's
     * WebSocket, or `url`), `node` (the node's by-block files under `node.dir`, and its order_book_server at
     * `node.bookServer`, each where set).
     */
    sources: z
      .array(z.enum(['public', 'node']))
      .min(1)
      .refine((a) => new Set(a).size === a.length, 'a source named twice')
      .default(['public']),
    node: z
      .object({
        /** The node's data folder (`~/hl/data`): its `*_by_block/hourly/<YYYYMMDD>/<H>` files are tailed. */
        dir: z.string().min(1).optional(),
        /** The streams tailed (by default all three). */
        streams: z
          .array(z.enum(NODE_STREAMS))
          .min(1)
          .default([...NODE_STREAMS]),
        /** How often the files are polled for new lines (ms). */
        pollMs: pos.max(10_000).default(50),
        /** The local order_book_server's WebSocket (`ws://127.0.0.1:8000/ws`). */
        bookServer: z.string().url().optional(),
        /** l2Book depth asked of the order_book_server (its default is 20; at most 100). */
        nLevels: z.number().int().min(1).max(100).default(20),
        /** The node's local info server (`http://localhost:3001/info`): `exchangeStatus` polled as a liveness check. */
        infoUrl: z.string().url().optional(),
        /** How often `exchangeStatus` is asked (ms); below `staleMs`, or every answer would arrive stale. */
        infoPollMs: z.number().min(1_000).max(600_000).default(2_000),
        /**
         * A source whose block time trails the freshest source's, or that sends nothing, for longer than this is
         * stale (a gap, again at every tick). The ingest pipeline takes it from the run's `run.start` record.
         */
        staleMs: z.number().min(500).max(600_000).default(DEFAULT_STALE_MS),
        /**
         * Which L4 book drives each coin's hot-state book while it is whole (the public l2Book otherwise):
         * `book` the order_book_server's l4Book, `files` the node's order statuses and book diffs with L4
         * snapshots fetched from `infoUrl`, `auto` the first of these the config allows, `off` none (the
         * node then only adds heights, health and trades).
         */
        l4: z.enum(['auto', 'book', 'files', 'off']).default('auto'),
        /** With the files' L4 book: how often an L4 snapshot is fetched from the info server (load or check), ms. */
        snapshotMs: z.number().min(1_000).max(3_600_000).default(60_000),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        /**
         * Busy-poll the ring for this long (µs) after the last record before the ingest worker sleeps
         * (see INGEST_SPIN_US): a whole core at thousands of frames/s, a few per cent at the venue's
         * own pace; 0 = always sleep.
         */
        spinUs: z.number().int().min(0).max(100_000).default(INGEST_SPIN_US),
        /** V8 young-generation cap of the ingest worker, MB (see INGEST_YOUNG_GENERATION_MB). */
        youngGenerationMb: pos.default(INGEST_YOUNG_GENERATION_MB),
        /** Initial old generation of the ingest worker, MB; 0 = V8's own sizing (see INGEST_OLD_SPACE_MB). */
        oldSpaceMb: z.number().int().min(0).max(4_096).default(INGEST_OLD_SPACE_MB),
      })
      .strict()
      .prefault({}),
    journal: z
      .object({
        fsyncIntervalMs: z.number().min(0).max(10).default(5),
        mode: z.enum(['group', 'every-record']).default('group'),
        segmentBytes: pos.default(64 * 1024 * 1024),
        segmentMs: pos.default(3_600_000),
        maxLagBytes: pos.default(64 * 1024 * 1024),
        /**
         * Free-space floor of the data dir's filesystem (bytes): below it a start is refused, and a running
         * instance journals a DISK alarm (new entries stop) until space is back. 0 turns the check off.
         */
        minFreeBytes: z
          .number()
          .int()
          .min(0)
          .default(1024 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    health: z
      .object({
        /**
         * Per channel: stale after this many expected intervals. At least 1 (stale before one interval
         * has passed means always stale); at most 10 (beyond that a channel that stopped is trusted
         * for ten of its intervals — 50 s of a silent slow book).
         */
        staleFactor: z.number().min(1).max(10).default(3),
        fastBookMs: pos.default(500),
        slowBookMs: pos.default(5_000),
        /**
         * The bbo channel's cadence; 0: the bbo channel is not required (data that has none — the venue's
         * l2Book archive, node fills — trades on l2Book's top of book).
         */
        bboMs: z.number().min(0).default(2_000),
        assetCtxMs: pos.default(5_000),
        tradesMs: pos.default(60_000),
        /**
         * Fresh data on every channel for this long before HEALTHY again. At least 1 s: a shorter
         * window is passed by a single burst of frames and lets health flap back after every gap.
         */
        validationMs: z.number().min(1_000).default(5_000),
        /**
         * The decision side treats hot state older than this as stale. 100 ms – 10 s: below 100 ms
         * ordinary scheduling jitter makes everything stale; above 10 s orders are priced on a
         * market that may have moved by a whole stop distance.
         */
        hotStateMaxAgeMs: z.number().min(100).max(10_000).default(3_000),
      })
      .strict()
      .prefault({}),
    control: z
      .object({
        /**
         * The control tick. 100 ms – 10 s: faster than 100 ms only burns CPU on the same hot state;
         * slower than 10 s leaves invalidations, stops and the kill switch unacted on for too long.
         */
        tickMs: z.number().min(100).max(10_000).default(1_000),
      })
      .strict()
      .prefault({}),
    regime: z
      .object({
        sideways: z
          .object({
            oiRange15mMax: nonneg.default(0.006),
            fundingDevMax: nonneg.default(0.00002),
            depthAsymAbsMax: nonneg.default(0.25),
          })
          .strict()
          .prefault({}),
        expansion: z
          .object({
            oiBuild1hMin: nonneg.default(0.02),
            fundingDevMin: nonneg.default(0.00004),
            depthAsymAbsMin: nonneg.default(0.3),
          })
          .strict()
          .prefault({}),
        confirmTicks: z.number().int().min(1).default(3),
      })
      .strict()
      .prefault({}),
    /** The lifecycle timings every strategy shares; each strategy's own are under `strategies.<name>`. */
    strategy: z
      .object({
        /** EXITED: re-send the exit (and alarm) when no exit fill came within this. */
        exitRetryMs: pos.default(2_000),
        /** ARMED.entering: give up on an entry with no answer from execution within this. */
        entryTimeoutMs: pos.default(5_000),
      })
      .strict()
      .prefault({}),
    /**
     * One section per strategy of the registry (`strategies/`), with its RULEBOOK defaults: `enabled`,
     * its lifecycle timings and its rule parameters. Risk per trade is the one `risk.riskPerTrade`.
     */
    strategies: z
      .object(Object.fromEntries(STRATEGIES.map((d) => [d.name, d.params.prefault({})])))
      .strict()
      .prefault({}),
    risk: z
      .object({
        startEquity: pos.default(100_000),
        /**
         * Halt after losing this fraction of the day's starting equity. At most 10 %: a halt that
         * waits for more no longer protects the account (the RULEBOOK's is 2 %).
         */
        dailyLossHalt: pos.max(0.1).default(0.02),
        /** Largest position notional per coin, as a fraction of equity. At most half the account in one coin. */
        maxCoinNotionalFraction: pos.max(0.5).default(0.2),
        /**
         * Total exposure as a multiple of equity. At most 3×: beyond that a 33 % move takes the whole
         * account, and the venue's margin, not this system, becomes the stop.
         */
        maxTotalExposure: pos.max(3).default(1),
        /**
         * The RULEBOOK's risk rule: (entry − stop) × size = riskPerTrade × equity, applied by execution
         * and used by the strategies' sizing — the one setting for both. At most 2 % of equity a trade
         * (the default is 0.5 %): a few losers in a row above that trip the daily-loss halt.
         */
        riskPerTrade: pos.max(0.02).default(0.005),
        minNotionalUsd: pos.default(10),
        /**
         * How far through the book an exposure-reducing close may reach. At most 5 %: a close priced
         * further than that is a market dump into an empty book, not an exit.
         */
        exitSlippageBps: pos.max(500).default(50),
        /**
         * Order-rate limit. At most 300 a minute (5 a second): the strategies place a handful of
         * orders a minute per coin, so more is a runaway loop, and it stays inside the venue's
         * budgets (docs/hyperliquid-protocol.md: 1 200 REST weight and 2 000 WS messages a minute).
         */
        ordersPerMinute: pos.max(300).default(60),
      })
      .strict()
      .prefault({}),
    paper: z
      .object({
        takerFee: nonneg.default(0.00045),
        makerFee: nonneg.default(0.00015),
        latencyMs: nonneg.default(50),
      })
      .strict()
      .prefault({}),
    live: z
      .object({
        /** Name of the environment variable holding the private key (never the key itself). */
        keyEnv: z.string().default('HL_PRIVATE_KEY'),
        /** Or a file holding it. */
        keyFile: z.string().optional(),
        /** Master account address (agent wallets query the master). */
        account: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/)
          .optional(),
        vaultAddress: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/)
          .optional(),
      })
      .strict()
      .prefault({}),
    dashboard: z
      .object({
        enabled: z.boolean().default(true),
        host: z.literal('127.0.0.1').default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(0),
      })
      .strict()
      .prefault({}),
    /**
     * Prometheus metrics, with or without the dashboard. On the dashboard's server at `/metrics` when it runs;
     * on a server of their own at `port` when one is set, and always when the dashboard is off (port 0 or
     * unset: any free port, printed and named in the data dir's lock for `runtime status`).
     */
    metrics: z
      .object({
        enabled: z.boolean().default(true),
        host: z.literal('127.0.0.1').default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).optional(),
      })
      .strict()
      .prefault({}),
    /** Webhooks for halts, alarms, health changes, fills and the daily summary (runtime/alerts.ts). */
    alerts: AlertsConfigSchema,
    shutdown: z
      .object({ flatten: z.boolean().default(true) })
      .strict()
      .prefault({}),
    /** Wallet tracking (state/wallets.ts): ranking, behaviour-class rules, memory cap, hot-state flags. */
    wallets: WalletConfigSchema.prefault({}),
  })
  .strict();

/** The fields of an object section (through defaults and optionals), or null for a leaf. */
export function objectShapeOf(s: z.core.$ZodType): Record<string, z.core.$ZodType> | null {
  if (s instanceof z.ZodObject) return s.shape;
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional)
    return objectShapeOf(s.unwrap());
  return null;
}

export type Config = z.infer<typeof ConfigSchema>;

/**
 * The strategies of the registry as `--help` lists them: each one's section, family, regime, what it does,
 * and every parameter with its default (and its environment variable's name pattern).
 */
export function strategiesHelp(): string {
  const lines = ['strategies (config strategies.<name>.<param>, env HLT_STRATEGIES__<NAME>__<PARAM>):'];
  for (const d of STRATEGIES) {
    const defaults: Record<string, unknown> = d.params.parse({});
    lines.push(`  ${d.name.padEnd(11)} ${d.family} (${FAMILY_REGIME[d.family]}): ${d.summary}`);
    lines.push(
      `              ${Object.entries(defaults)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Format zod issues as `path.to.field: problem` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** One issue: one line; several: a heading and one indented line each. */
function configError(heading: string, issues: string[]): ConfigError {
  const text = issues.length === 1 ? `${heading}: ${issues[0]}` : `${heading}:\n  ${issues.join('\n  ')}`;
  return new ConfigError(text, issues);
}

// ------------------------------------------------------------------ secrets

/**
 * What a private key looks like: 64 hex digits in a row (with or without 0x). No legitimate config
 * string holds that many (a coin, a path, a URL, a variable name), so any string containing such a
 * run is refused — a key pasted into `live.keyEnv` instead of the variable's name, or into a path.
 */
const KEY_SHAPED = /[0-9a-fA-F]{64}/;
/** Anything of 8 or more hex digits in free text we did not write (e.g. a JSON parser's quote of the input). */
const HEX_RUN = /(?:0[xX])?[0-9a-fA-F]{8,}/g;
/** Names under which someone puts a key in a config; never valid fields, refused wherever they appear. */
const SECRET_NAME =
  /^(?:private_?key|priv_?key|key|secret(?:_?key)?|api_?secret|mnemonic|seed_?phrase|pass_?phrase|password)$/i;
const NO_KEY_HERE =
  'the config must not hold a private key — name an environment variable (live.keyEnv) or a file (live.keyFile) that holds it';

/** How a path is named to the operator: `risk.dailyLosHalt`, or the environment variable that set it. */
type Namer = (path: readonly string[]) => string;
const dotted: Namer = (path) => (path.length ? path.join('.') : '(root)');

/** `risk.dailyLossHalt` → `HLT_RISK__DAILY_LOSS_HALT` (the inverse of envOverrides' mapping). */
export function envVarName(path: readonly string[]): string {
  return `HLT_${path.map((p) => p.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__')}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every string anywhere in `v` that looks like a private key, by path. The value is never kept. */
function keyShapedPaths(v: unknown, path: string[], out: string[][]): void {
  if (typeof v === 'string') {
    if (KEY_SHAPED.test(v)) out.push(path);
  } else if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) keyShapedPaths(x, [...path, String(i)], out);
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) keyShapedPaths(x, [...path, k], out);
  }
}

// ------------------------------------------------------------------ unknown keys

function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** Every valid path of the schema (sections and fields). */
function schemaPaths(): string[][] {
  const out: string[][] = [];
  const walk = (s: z.core.$ZodType, path: string[]) => {
    const shape = objectShapeOf(s);
    if (!shape) return;
    for (const [k, v] of Object.entries(shape)) {
      out.push([...path, k]);
      walk(v, [...path, k]);
    }
  };
  walk(ConfigSchema, []);
  return out;
}
let allPaths: string[][] | null = null;

/**
 * The valid path nearest to an unknown `key` under `section`: a sibling by edit distance, or the same
 * name in another section (moving costs one edit), so `geometry.riskPerTrade` → `risk.riskPerTrade`
 * and a root-level `dailyLossHalt` → `risk.dailyLossHalt`. Ties prefer the sibling, then schema order.
 */
function nearest(section: readonly string[], key: string, siblings: readonly string[]): string[] {
  let best: string[] = [...section, siblings[0] ?? key];
  let bestD = Number.POSITIVE_INFINITY;
  for (const s of siblings) {
    const d = editDistance(key, s);
    if (d < bestD) [best, bestD] = [[...section, s], d];
  }
  allPaths ??= schemaPaths();
  const here = section.join('.');
  for (const p of allPaths) {
    if (p.slice(0, -1).join('.') === here) continue;
    const d = editDistance(key, p.at(-1)!) + 1;
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best;
}

/** Unknown and key-like names in `input`, checked against the schema's sections; messages via `name`. */
function unknownKeys(input: unknown, name: Namer): string[] {
  const out: string[] = [];
  const walk = (v: unknown, schema: z.core.$ZodType, path: string[]) => {
    const shape = objectShapeOf(schema);
    if (!shape || !isPlainObject(v)) return; // a leaf, or a wrong type zod will name
    const fields = Object.keys(shape);
    for (const [k, x] of Object.entries(v)) {
      const at = [...path, k];
      const field = shape[k];
      if (field && Object.hasOwn(shape, k)) walk(x, field, at);
      else if (SECRET_NAME.test(k)) out.push(`${name(at)}: ${NO_KEY_HERE}`);
      else {
        const near = nearest(path, k, fields);
        out.push(`${name(at)}: unknown key — did you mean ${name(near)}?`);
      }
    }
  };
  walk(input, ConfigSchema, []);
  return out;
}

/** Secrets and unknown keys in one source (the file, the environment or the flags): issue lines. */
function sourceIssues(input: unknown, name: Namer): string[] {
  const keyed: string[][] = [];
  keyShapedPaths(input, [], keyed);
  const secrets = keyed.map((p) => `${name(p)}: looks like a private key (64 hex digits); ${NO_KEY_HERE}`);
  return [...secrets, ...unknownKeys(input, name)];
}

export function parseConfig(input: unknown, source = 'config'): Config {
  const early = sourceIssues(input, dotted);
  if (early.length) throw configError(`invalid ${source}`, early);
  const r = ConfigSchema.safeParse(input);
  if (!r.success) throw configError(`invalid ${source}`, formatIssues(r.error));
  return r.data;
}

/** Deep-merge plain objects (overrides win; arrays are replaced). */
export function mergeDeep(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (isPlainObject(v) && isPlainObject(b)) out[k] = mergeDeep(b, v);
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

/** One `HLT_*` variable: its name, the config path it sets and its value (JSON when it parses). */
export interface EnvEntry {
  variable: string;
  path: string[];
  value: unknown;
}

/** `HLT_RISK__START_EQUITY=50000` → { variable, path: ['risk', 'startEquity'], value: 50000 }. */
export function envEntries(env: NodeJS.ProcessEnv): EnvEntry[] {
  const out: EnvEntry[] = [];
  for (const [k, raw] of Object.entries(env)) {
    if (!k.startsWith('HLT_') || raw === undefined) continue;
    const path = k
      .slice(4)
      .split('__')
      .map((p) => p.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out.push({ variable: k, path, value });
  }
  return out;
}

/** Nest entries into one object; a later entry under an earlier leaf replaces it. */
function nest(entries: readonly { path: readonly string[]; value: unknown }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, value } of entries) {
    let o = out;
    for (const p of path.slice(0, -1)) {
      const next = o[p];
      if (isPlainObject(next)) o = next;
      else {
        const fresh: Record<string, unknown> = {};
        o[p] = fresh;
        o = fresh;
      }
    }
    const last = path.at(-1);
    if (last !== undefined) o[last] = value;
  }
  return out;
}

/** `HLT_RISK__START_EQUITY=50000` → { risk: { startEquity: 50000 } } (values parsed as JSON when they can be). */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return nest(envEntries(env));
}

/** Issues of the environment, each naming its variable: `HLT_RISK__DAILY_LOS_HALT (risk.dailyLosHalt): …`. */
function envIssues(entries: readonly EnvEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const within = (p: readonly string[], q: readonly string[]) => p.every((x, i) => q[i] === x);
    // the variable's own path (or a section on it) is named by the variable; a suggestion by its path and variable
    const byVar: Namer = (p) => {
      if (within(p, e.path)) return `${e.variable} (${dotted(p)})`;
      if (within(e.path, p)) return `${e.variable}.${p.slice(e.path.length).join('.')} (${dotted(p)})`;
      return `${dotted(p)} (${envVarName(p)})`;
    };
    out.push(...sourceIssues(nest([e]), byVar));
  }
  return out;
}

/** File (optional) < environment < flags. */
export function loadConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Config {
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`, []);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      // the parser quotes the start of the input, which may be a key: never echo a run of hex digits
      const why = (e as Error).message.replace(HEX_RUN, '[hex]');
      throw new ConfigError(`config file ${opts.file} is not valid JSON: ${why}`, []);
    }
    if (!isPlainObject(parsed)) {
      throw new ConfigError(`config file ${opts.file} must hold a JSON object`, []);
    }
    fromFile = parsed;
    const issues = sourceIssues(fromFile, dotted);
    if (issues.length) throw configError(`invalid config file ${opts.file}`, issues);
  }
  const env = envEntries(opts.env ?? {});
  const fromEnv = envIssues(env);
  if (fromEnv.length) throw configError('invalid config in the environment', fromEnv);
  const overrides = opts.overrides ?? {};
  const fromFlags = sourceIssues(overrides, dotted);
  if (fromFlags.length) throw configError('invalid config from the flags', fromFlags);
  const merged = mergeDeep(mergeDeep(fromFile, nest(env)), overrides);
  return parseConfig(merged, opts.file ? `config (${opts.file} + environment + flags)` : 'config');
}
