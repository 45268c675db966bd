/**
 * The intent schema (zod): what a strategy may ask of execution. Validated at the execution boundary, so
 * a malformed intent is a counted, logged rejection and never an order.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positive = finite.refine((x) => x > 0, 'must be > 0');

export const EntryIntentSchema = z
  .object({
    kind: z.literal('entry'),
    id: z.string().min(1),
    strategy: z.string().min(1),
    coin: z.string().min(1),
    side: z.enum(['LONG', 'SHORT']),
    /** Size as a fraction of equity (risk rule applied by the strategy; execution caps it). */
    sizeFraction: positive,
    stop: positive,
    target: positive,
    reason: z.string().min(1),
    /** Hot-state version the strategy read. */
    version: z.number().int().nonnegative(),
    time: finite,
  })
  .refine((i) => (i.side === 'LONG' ? i.stop < i.target : i.stop > i.target), {
    message: 'stop and target must lie on opposite sides (LONG: stop < target; SHORT: stop > target)',
    path: ['stop'],
  });

export const ExitIntentSchema = z.object({
  kind: z.literal('exit'),
  id: z.string().min(1),
  strategy: z.string().min(1),
  coin: z.string().min(1),
  atMarket: z.literal(true),
  emergency: z.boolean(),
  reason: z.enum(['target', 'stop', 'invalidation', 'maxHold', 'disable', 'reset', 'exception', 'operator']),
  detail: z.string(),
  version: z.number().int().nonnegative(),
  time: finite,
  attempt: z.number().int().nonnegative(),
});

export const IntentSchema = z.union([EntryIntentSchema, ExitIntentSchema]);

/** Validate an intent; the error names the field. Never throws. */
export function checkIntent(x: unknown): { ok: true } | { ok: false; error: string } {
  const kind = typeof x === 'object' && x !== null ? (x as { kind?: unknown }).kind : undefined;
  const schema = kind === 'entry' ? EntryIntentSchema : kind === 'exit' ? ExitIntentSchema : IntentSchema;
  const r = schema.safeParse(x);
  if (r.success) return { ok: true };
  return {
    ok: false,
    error: r.error.issues.map((i) => `${i.path.join('.') || '(intent)'}: ${i.message}`).join('; '),
  };
}
