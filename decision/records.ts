/**
 * The decision log's format: one zod-described union of every record the decision side writes (one JSON
 * object a line in `decisions.jsonl`, and the `decision` records of the journal). `t` is the journal clock
 * (ms since the epoch), never the wall clock; `kind` names the record. This is the format users parse:
 * the README's "Decision log" section lists it, `parseDecisionRecord` checks a line against it, and
 * the engine, the logs, the report and the dashboard read these types instead of untyped maps.
 *
 * Top-level records are strict (a field that is not listed here is an error, so the documentation cannot
 * drift from the log); nested execution objects (intents, orders, fills, positions, closes) are described
 * by their main fields and may carry more, as may `operator.applied` (the command's own fields).
 */
import { z } from 'zod';

const num = z.number();
const str = z.string();
const nullableNum = num.nullable();
const side = z.enum(['LONG', 'SHORT']);
const regime = z.enum(['SIDEWAYS', 'EXPANSION', 'DISABLED']);
const healthLevel = z.enum(['WARMING', 'HEALTHY', 'DEGRADED', 'HALTED']);
const tradingState = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);

/** The regime inputs as logged (8 significant figures; null = NULL, still warming up). */
const regimeInputs = z.strictObject({
  oiRange15m: nullableNum,
  oiBuild1h: nullableNum,
  fundingDev: nullableNum,
  depthAsym5s: nullableNum,
});

const entryIntent = z.object({
  kind: z.literal('entry'),
  id: str,
  strategy: str,
  coin: str,
  side,
  sizeFraction: num,
  stop: num,
  target: num,
  reason: str,
  version: num,
  time: num,
});
const exitIntent = z.object({
  kind: z.literal('exit'),
  id: str,
  strategy: str,
  coin: str,
  atMarket: z.literal(true),
  emergency: z.boolean(),
  reason: str,
  detail: str,
  version: num,
  time: num,
  attempt: num,
});
const intent = z.discriminatedUnion('kind', [entryIntent, exitIntent]);

const orderSide = z.enum(['BUY', 'SELL']);
const order = z.object({
  clientId: str,
  coin: str,
  side: orderSide,
  size: num,
  limitPx: num,
  tif: str,
  reduceOnly: z.boolean(),
  purpose: str,
  intentId: str.nullable(),
  strategy: str,
  status: str,
  filled: num,
  avgPx: num,
  fees: num,
});
const fill = z.object({
  coin: str,
  strategy: str,
  side: orderSide,
  px: num,
  sz: num,
  fee: num,
  time: num,
  clientId: str,
});
const position = z.object({ coin: str, strategy: str, size: num, avgEntry: num, realised: num });
const closing = z.object({ coin: str, intentId: str.nullable(), reason: str, attempts: num });
const reply = z.object({ type: z.enum(['ENTRY_FILLED', 'ENTRY_REJECTED', 'EXIT_FILLED']), intentId: str });

const base = { t: num };

/** The operator command as applied: its `command` name and the command's own fields. */
const OPERATOR_APPLIED = z.looseObject({ t: num, kind: z.literal('operator.applied'), command: str });

/** A regime controller's record: a regime change, a gate or a lease, with the inputs it was decided on. */
function controllerRecord<K extends 'regime' | 'gate' | 'lease'>(k: K) {
  return z.strictObject({
    ...base,
    kind: z.literal(k),
    coin: str,
    regime,
    action: str.optional(),
    strategy: str.optional(),
    reason: str,
    inputs: regimeInputs,
  });
}

export const DecisionRecordSchema = z.discriminatedUnion('kind', [
  // ---- health
  z.strictObject({
    ...base,
    kind: z.literal('health'),
    from: healthLevel,
    to: healthLevel,
    reason: str,
    evidence: z.unknown().optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('health.waiting'),
    status: healthLevel,
    since: nullableNum,
    summary: str,
    waitingFor: z.array(z.unknown()),
    connected: z.boolean(),
    validation: z.unknown().optional(),
    report: num.optional(),
  }),
  // ---- regime controller: regime changes, gates and leases, with the inputs they were decided on
  controllerRecord('regime'),
  controllerRecord('gate'),
  controllerRecord('lease'),
  // ---- strategies
  z.strictObject({
    ...base,
    kind: z.literal('strategy'),
    coin: str,
    strategy: str,
    from: str.optional(),
    to: str,
  }),
  z.strictObject({
    ...base,
    kind: z.literal('ignored'),
    coin: str,
    strategy: str,
    event: str,
    state: str,
    note: str.optional(),
  }),
  z.strictObject({ ...base, kind: z.literal('strategy.error'), coin: str, strategy: str, message: str }),
  z.strictObject({
    ...base,
    kind: z.literal('intent.rejected'),
    coin: str,
    strategy: str,
    id: str,
    error: str,
  }),
  // ---- alarms (execution's close retries, a strategy's unfilled exit)
  z.strictObject({
    ...base,
    kind: z.literal('alarm'),
    source: z.enum(['execution', 'strategy', 'system']),
    coin: str.nullable().optional(),
    strategy: str.optional(),
    message: str,
    attempt: num.optional(),
  }),
  // ---- operator commands as applied, and what a restart found
  OPERATOR_APPLIED,
  z.strictObject({
    ...base,
    kind: z.literal('restart.recovered'),
    positions: z.array(str),
    action: str,
  }),
  // ---- books the builder refused (the coin is gated) and the valid one that lifted the gate
  z.strictObject({
    ...base,
    kind: z.literal('book.rejected'),
    coin: str,
    channel: z.enum(['l2Book', 'bbo']),
    reason: str,
    message: str,
    seq: num,
    count: num,
  }),
  z.strictObject({
    ...base,
    kind: z.literal('book.valid'),
    coin: str,
    channel: z.enum(['l2Book', 'bbo']),
    seq: num,
    count: num,
  }),
  // ---- execution: intents, risk verdicts, orders, fills, positions, trading state, day, closes
  z.strictObject({ ...base, kind: z.literal('exec.intent'), time: num, intent }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.verdict'),
    time: num,
    intentId: str,
    strategy: str,
    coin: str,
    ok: z.boolean(),
    code: str.nullable(),
    detail: str,
  }),
  z.strictObject({ ...base, kind: z.literal('exec.order'), time: num, event: str, order }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.fill'),
    time: num,
    fill,
    liquidity: z.enum(['taker', 'maker']),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.position'),
    time: num,
    coin: str,
    cause: z.object({ type: z.enum(['fill', 'funding']) }),
    position: position.nullable(),
    totals: z.strictObject({ realised: num, fees: num, fundingPaid: num }),
  }),
  z.strictObject({ ...base, kind: z.literal('exec.trading'), time: num, state: tradingState, reason: str }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.day'),
    time: num,
    day: z.strictObject({ index: num, startEquity: num, startPnl: num }),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.closing'),
    time: num,
    coin: str,
    action: z.enum(['start', 'done', 'retry']),
    closing,
  }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.strategy'),
    time: num,
    strategy: str,
    coin: str,
    event: reply,
  }),
  z.strictObject({
    ...base,
    kind: z.literal('exec.alarm'),
    time: num,
    coin: str.nullable(),
    message: str,
    attempt: num,
  }),
  z.strictObject({ ...base, kind: z.literal('exec.error'), time: num, message: str }),
  // ---- alerts (runtime/alerts.ts): each webhook send's outcome; journal only, never part of the decision log a
  // replay rebuilds (a replay sends no webhooks)
  z.strictObject({
    ...base,
    kind: z.literal('alert'),
    alert: z.enum(['halt', 'alarm', 'health', 'fill', 'daily']),
    webhook: str,
    outcome: z.enum(['sent', 'retry', 'failed', 'dropped']),
    attempt: num,
    cause: z.strictObject({ kind: str, t: num }),
    status: num.optional(),
    error: str.optional(),
    retryInMs: num.optional(),
  }),
  // ---- wallet tracking (issue 18): a behaviour class granted to a wallet, with its evidence (state/wallets.ts)
  z.strictObject({
    ...base,
    kind: z.literal('wallet.class'),
    wallet: str,
    class: z.enum(['short-hold', 'pre-liquidation', 'post-cascade-exit', 'manipulator']),
    coin: str,
    evidence: z.record(z.string(), z.union([num, str])),
  }),
]);

export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;
export type DecisionKind = DecisionRecord['kind'];
/** The record of one kind: `RecordOf<'exec.fill'>`. */
export type RecordOf<K extends DecisionKind> = Extract<DecisionRecord, { kind: K }>;

/** Every kind, in the order the README lists them. */
export const DECISION_KINDS: readonly DecisionKind[] = DecisionRecordSchema.options.map(
  (o) => o.shape.kind.value,
);

export type ParsedRecord = { ok: true; record: DecisionRecord } | { ok: false; error: string };

/** A decision-log line (JSON text or a parsed value) checked against the format. Never throws. */
export function parseDecisionRecord(line: string | unknown): ParsedRecord {
  let value: unknown = line;
  if (typeof line === 'string') {
    try {
      value = JSON.parse(line);
    } catch (e) {
      return { ok: false, error: `not JSON: ${(e as Error).message}` };
    }
  }
  const r = DecisionRecordSchema.safeParse(value);
  if (r.success) return { ok: true, record: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}` };
}

/** Is this record of one of these kinds? (narrows) */
export function isKind<K extends DecisionKind>(r: DecisionRecord, ...kinds: K[]): r is RecordOf<K> {
  return (kinds as readonly string[]).includes(r.kind);
}
