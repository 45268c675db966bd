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
 */
import { assign, emit, setup } from 'xstate';
import type { HealthEvent } from './health.events.ts';
import type {
  HealthContext,
  HealthInput,
  HealthStatus,
  HealthTransition,
  StaleChannel,
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

export const healthMachine = setup({
  types: {
    context: {} as HealthContext,
    events: {} as HealthEvent,
    input: {} as HealthInput,
    emitted: {} as HealthTransition,
  },
  guards: {
    anyStale: ({ context, event }) => event.type === 'TICK' && staleChannels(context, event).length > 0,
    validated: ({ context, event }) => event.type === 'TICK' && isValidated(context, event),
  },
  actions: {
    trackFreshness: assign(({ context, event }) => {
      if (event.type !== 'TICK') return {};
      const fresh = context.connected && staleChannels(context, event).length === 0;
      return { now: event.now, freshSince: fresh ? (context.freshSince ?? event.now) : null };
    }),
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
            reason: `every channel fresh for ${event.now - (context.freshSince ?? event.now)} ms (validation ${context.validationMs} ms)`,
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
      }
    }),
    announce: emit(({ context }, params: { to: HealthStatus }) => ({
      type: 'health' as const,
      from: context.status,
      to: params.to,
      time: context.now,
      reason: context.reason,
      evidence: context.evidence,
    })),
    enter: assign(({ context }, params: { to: HealthStatus }) => ({
      status: params.to,
      transitions: context.transitions + 1,
    })),
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
  }),
  initial: 'WARMING',
  states: {
    WARMING: {
      on: {
        TICK: [
          { guard: 'validated', target: 'HEALTHY', actions: ['explain', 'trackFreshness'] },
          { actions: 'trackFreshness' },
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
      ],
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
      ],
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
