/**
 * Data health: WARMING → HEALTHY ⇄ DEGRADED, and HALTED while the feed connection is down.
 * Anything but HEALTHY means "do not trade".
 *
 *  - WARMING (initial): nothing validated yet.
 *  - HEALTHY: connected, every channel fresh (age ≤ staleFactor × cadence) on the last tick.
 *  - DEGRADED: connected, but data is in doubt: a stale channel, a gap (lost frames, new epoch, skipped
 *    height), or a reconnect; it is being validated.
 *  - HALTED: the connection is down or a heartbeat timed out.
 * Back to HEALTHY only after `validationMs` of ticks on which every channel had fresh data received after
 * the last disruption. Evaluated on control ticks (the event carries `now` and per-channel update times);
 * gaps and connection events act at once. Every transition is emitted with its reason and evidence.
 *
 * While not HEALTHY the machine says what it is waiting for: a `waiting` event (which channel of which
 * coin: never received, nothing since the last disruption, or how old; the pending validation window;
 * the connection) when the wait starts — the first tick in WARMING, entering DEGRADED or HALTED from
 * HEALTHY — and then every `waitingReportMs` (a named delay on the actor's clock) until HEALTHY.
 * `describeWaiting(context, now)` gives the same report for status screens. Feed events the machine
 * has no transition for (e.g. BOOK_REJECTED / BOOK_VALID: the engine gates the coin) are ignored.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { HealthEvent } from './health.events.ts';
import {
  DEFAULT_WAITING_REPORT_MS,
  type HealthContext,
  type HealthEmitted,
  type HealthInput,
  type HealthStatus,
  type HealthWaiting,
  MIN_WAITING_REPORT_MS,
  type StaleChannel,
  type WaitingChannel,
  type WaitingReport,
} from './health.types.ts';

type Tick = Extract<HealthEvent, { type: 'TICK' }>;

/** The channels that are not fresh at this tick (pure). */
export function staleChannels(context: HealthContext, tick: Tick): StaleChannel[] {
  const out: StaleChannel[] = [];
  for (const [channel, maxAgeMs] of Object.entries(context.maxAge)) {
    const last = tick.lastUpdate[channel];
    if (last === null || last === undefined || (context.validFrom !== null && last < context.validFrom)) {
      out.push({ channel, ageMs: last === null || last === undefined ? null : tick.now - last, maxAgeMs });
    } else if (tick.now - last > maxAgeMs) {
      out.push({ channel, ageMs: tick.now - last, maxAgeMs });
    }
  }
  return out;
}

function isValidated(context: HealthContext, tick: Tick): boolean {
  if (!context.connected || staleChannels(context, tick).length > 0) return false;
  const since = context.freshSince ?? tick.now;
  return tick.now - since >= context.validationMs;
}

function describeStale(stale: StaleChannel[]): string {
  return stale
    .map((s) =>
      s.ageMs === null
        ? `${s.channel}: no update since the last disruption`
        : `${s.channel}: ${s.ageMs} ms old > ${s.maxAgeMs} ms`,
    )
    .join('; ');
}

const eventTime = (e: HealthEvent): number => (e.type === 'TICK' ? e.now : e.time);

function splitKey(key: string): { channel: string; coin: string } {
  const i = key.indexOf(':');
  return i < 0 ? { channel: key, coin: '' } : { channel: key.slice(0, i), coin: key.slice(i + 1) };
}

function describeChannel(w: WaitingChannel): string {
  const name = w.coin === '' ? w.channel : `${w.channel} ${w.coin}`;
  if (w.why === 'never') return `${name} never received`;
  const age = w.ageMs === null ? '?' : Math.round(w.ageMs);
  if (w.why === 'disrupted') return `${name} nothing since the last disruption (last ${age} ms ago)`;
  return `${name} ${age} ms old > ${w.maxAgeMs} ms`;
}

/**
 * What health is waiting for at `now` (pure): per expected channel that is not fresh, whether it was
 * never received, has nothing since the last disruption, or is too old; the connection; and the
 * validation window still to run when everything is fresh. For status screens and the `waiting` event.
 */
export function describeWaiting(context: HealthContext, now: number): WaitingReport {
  const waitingFor: WaitingChannel[] = [];
  for (const [key, maxAgeMs] of Object.entries(context.maxAge)) {
    const last = context.lastUpdate[key] ?? null;
    const ageMs = last === null ? null : now - last;
    const why =
      last === null
        ? 'never'
        : context.validFrom !== null && last < context.validFrom
          ? 'disrupted'
          : ageMs !== null && ageMs > maxAgeMs
            ? 'stale'
            : null;
    if (why !== null) waitingFor.push({ ...splitKey(key), never: last === null, ageMs, why, maxAgeMs });
  }
  const waiting = context.status !== 'HEALTHY';
  const validation =
    waiting && context.connected && waitingFor.length === 0
      ? {
          validationMs: context.validationMs,
          freshSince: context.freshSince,
          remainingMs:
            context.freshSince === null
              ? context.validationMs
              : Math.max(0, context.validationMs - (now - context.freshSince)),
        }
      : null;
  const parts: string[] = [];
  if (!context.connected) parts.push('the feed connection to be live');
  if (waitingFor.length > 0) parts.push(waitingFor.map(describeChannel).join('; '));
  if (validation !== null)
    parts.push(
      `the validation window: every channel fresh for ${context.validationMs} ms, ${Math.ceil(validation.remainingMs)} ms to go`,
    );
  const since = waiting ? context.waitingSince : null;
  const summary = waiting
    ? `${context.status}${since === null ? '' : ` for ${Math.round(Math.max(0, now - since))} ms`}: waiting for ${parts.length > 0 ? parts.join('; ') : 'the next tick'}`
    : `HEALTHY${waitingFor.length > 0 ? `; not fresh now: ${waitingFor.map(describeChannel).join('; ')}` : ''}`;
  return {
    status: context.status,
    now,
    since,
    connected: context.connected,
    waitingFor,
    validation,
    summary,
  };
}

/** The `waiting` event for the context's latest time. */
function waitingEvent(context: HealthContext, since: number, report: number): HealthWaiting {
  const r = describeWaiting({ ...context, waitingSince: since }, context.now);
  return {
    type: 'waiting',
    status: context.status,
    time: context.now,
    since,
    waitingFor: r.waitingFor,
    connected: r.connected,
    validation: r.validation,
    summary: r.summary,
    report,
  };
}

function waitingReportMs(input: HealthInput): number {
  const ms = input.waitingReportMs ?? DEFAULT_WAITING_REPORT_MS;
  return Number.isFinite(ms) ? Math.max(MIN_WAITING_REPORT_MS, ms) : DEFAULT_WAITING_REPORT_MS;
}

export const healthMachine = setup({
  types: {
    context: {} as HealthContext,
    events: {} as HealthEvent,
    input: {} as HealthInput,
    emitted: {} as HealthEmitted,
  },
  delays: {
    waitingReport: ({ context }) => context.waitingReportMs,
  },
  guards: {
    anyStale: ({ context, event }) => event.type === 'TICK' && staleChannels(context, event).length > 0,
    validated: ({ context, event }) => event.type === 'TICK' && isValidated(context, event),
  },
  actions: {
    trackFreshness: assign(({ context, event }) => {
      if (event.type !== 'TICK') return {};
      const fresh = context.connected && staleChannels(context, event).length === 0;
      const lastUpdate: Record<string, number | null> = {};
      for (const key of Object.keys(context.maxAge)) {
        const t = event.lastUpdate[key];
        lastUpdate[key] = typeof t === 'number' && Number.isFinite(t) ? t : null;
      }
      return { now: event.now, freshSince: fresh ? (context.freshSince ?? event.now) : null, lastUpdate };
    }),
    /** Emit what health waits for (the wait starts now unless it already has). */
    reportWaiting: enqueueActions(({ context, enqueue }) => {
      const since = context.waitingSince ?? context.now;
      const report = context.waitingReports + 1;
      enqueue.assign({ waitingSince: since, waitingReports: report });
      enqueue.emit(waitingEvent(context, since, report));
    }),
    /** The first report of a wait: only when no wait is under way (a wait goes on until HEALTHY). */
    beginWaiting: enqueueActions(({ context, enqueue }) => {
      if (context.waitingSince !== null) return;
      const report = context.waitingReports + 1;
      enqueue.assign({ waitingSince: context.now, waitingReports: report });
      enqueue.emit(waitingEvent(context, context.now, report));
    }),
    endWaiting: assign({ waitingSince: null }),
    noteGap: assign(({ event }) => {
      if (event.type !== 'GAP') return {};
      return { now: event.time, validFrom: event.time, freshSince: null };
    }),
    noteLive: assign(({ event }) => {
      if (event.type !== 'CONNECTION_LIVE') return {};
      return { now: event.time, connected: true, validFrom: event.time, freshSince: null };
    }),
    noteLost: assign(({ event }) => {
      const time = eventTime(event);
      return { now: time, connected: false, validFrom: time, freshSince: null };
    }),
    explain: assign(({ context, event }) => {
      switch (event.type) {
        case 'TICK': {
          const stale = staleChannels(context, event);
          if (stale.length > 0) {
            return { reason: `stale: ${describeStale(stale)}`, evidence: { now: event.now, stale } };
          }
          return {
            reason: `every channel fresh for ${Math.round(event.now - (context.freshSince ?? event.now))} ms (validation ${context.validationMs} ms)`,
            evidence: { now: event.now, freshSince: context.freshSince, lastUpdate: { ...event.lastUpdate } },
          };
        }
        case 'GAP':
          return {
            reason: `gap on ${event.key}: ${event.reason}`,
            evidence: { time: event.time, key: event.key },
          };
        case 'CONNECTION_LIVE':
          return {
            reason: `connection live again (epoch ${event.epoch}): validating`,
            evidence: { time: event.time, epoch: event.epoch },
          };
        case 'CONNECTION_LOST':
          return { reason: `connection lost: ${event.reason}`, evidence: { time: event.time } };
        case 'HEARTBEAT_TIMEOUT':
          return { reason: `heartbeat timeout: ${event.reason}`, evidence: { time: event.time } };
        default:
          return {};
      }
    }),
    // A status change only: re-entering a state for the periodic report announces nothing.
    announce: enqueueActions(({ context, enqueue }, params: { to: HealthStatus }) => {
      if (context.status === params.to) return;
      enqueue.emit({
        type: 'health',
        from: context.status,
        to: params.to,
        time: context.now,
        reason: context.reason,
        evidence: context.evidence,
      });
    }),
    enter: assign(({ context }, params: { to: HealthStatus }) =>
      context.status === params.to ? {} : { status: params.to, transitions: context.transitions + 1 },
    ),
  },
}).createMachine({
  id: 'health',
  context: ({ input }) => ({
    maxAge: Object.fromEntries(
      Object.entries(input.channels).map(([k, v]) => [k, (v.staleFactor ?? 3) * v.cadenceMs]),
    ),
    validationMs: input.validationMs,
    connected: false,
    validFrom: null,
    freshSince: null,
    now: 0,
    status: 'WARMING',
    reason: 'starting: nothing validated yet',
    evidence: {},
    transitions: 0,
    lastUpdate: Object.fromEntries(Object.keys(input.channels).map((k) => [k, null])),
    waitingSince: null,
    waitingReportMs: waitingReportMs(input),
    waitingReports: 0,
  }),
  initial: 'WARMING',
  states: {
    WARMING: {
      after: { waitingReport: { target: 'WARMING', reenter: true, actions: 'reportWaiting' } },
      on: {
        TICK: [
          { guard: 'validated', target: 'HEALTHY', actions: ['explain', 'trackFreshness'] },
          { actions: ['trackFreshness', 'beginWaiting'] },
        ],
        CONNECTION_LIVE: { actions: 'noteLive' },
        GAP: { actions: 'noteGap' },
        CONNECTION_LOST: { target: 'HALTED', actions: ['noteLost', 'explain'] },
        HEARTBEAT_TIMEOUT: { target: 'HALTED', actions: ['noteLost', 'explain'] },
      },
    },
    HEALTHY: {
      entry: [
        { type: 'announce', params: { to: 'HEALTHY' } },
        { type: 'enter', params: { to: 'HEALTHY' } },
        'endWaiting',
      ],
      on: {
        TICK: [
          { guard: 'anyStale', target: 'DEGRADED', actions: ['trackFreshness', 'explain'] },
          { actions: 'trackFreshness' },
        ],
        GAP: { target: 'DEGRADED', actions: ['noteGap', 'explain'] },
        // a new session without a loss seen first is still a reconnect: every channel had a gap
        CONNECTION_LIVE: { target: 'DEGRADED', actions: ['noteLive', 'explain'] },
        CONNECTION_LOST: { target: 'HALTED', actions: ['noteLost', 'explain'] },
        HEARTBEAT_TIMEOUT: { target: 'HALTED', actions: ['noteLost', 'explain'] },
      },
    },
    DEGRADED: {
      entry: [
        { type: 'announce', params: { to: 'DEGRADED' } },
        { type: 'enter', params: { to: 'DEGRADED' } },
        'beginWaiting',
      ],
      after: { waitingReport: { target: 'DEGRADED', reenter: true, actions: 'reportWaiting' } },
      on: {
        TICK: [
          { guard: 'validated', target: 'HEALTHY', actions: ['explain', 'trackFreshness'] },
          { actions: 'trackFreshness' },
        ],
        GAP: { actions: 'noteGap' },
        CONNECTION_LIVE: { actions: 'noteLive' },
        CONNECTION_LOST: { target: 'HALTED', actions: ['noteLost', 'explain'] },
        HEARTBEAT_TIMEOUT: { target: 'HALTED', actions: ['noteLost', 'explain'] },
      },
    },
    HALTED: {
      entry: [
        { type: 'announce', params: { to: 'HALTED' } },
        { type: 'enter', params: { to: 'HALTED' } },
        'beginWaiting',
      ],
      after: { waitingReport: { target: 'HALTED', reenter: true, actions: 'reportWaiting' } },
      on: {
        TICK: { actions: 'trackFreshness' },
        GAP: { actions: 'noteGap' },
        CONNECTION_LIVE: { target: 'DEGRADED', actions: ['noteLive', 'explain'] },
        CONNECTION_LOST: { actions: ['noteLost', 'explain'] },
        HEARTBEAT_TIMEOUT: { actions: ['noteLost', 'explain'] },
      },
    },
  },
});
