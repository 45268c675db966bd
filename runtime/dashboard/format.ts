/**
 * Numbers for people, and one decision record as a table row. These functions run twice: here (tested
 * in Node) and on the dashboard page, which receives their source text (`FORMAT_SOURCE`). So each is
 * self-contained: plain JavaScript once the types are stripped, calling only each other and the
 * browser's own globals, never an import.
 */

/** The placeholder for a number that is not known (null, NaN, ±Infinity). */
export const NONE = '\u2014';

/** A duration: `850 ms`, `6.2 s`, `4 min 12 s`, `2 h 05 min`; `—` when unknown. */
export function fmtDuration(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '\u2014';
  const neg = ms < 0;
  const a = Math.abs(ms);
  let out: string;
  if (a < 1000) out = `${Math.round(a)} ms`;
  else if (a < 60_000) {
    const s = Math.round(a / 100) / 10;
    out = s >= 60 ? '1 min 0 s' : `${s.toFixed(1)} s`;
  } else if (a < 3_600_000) {
    const total = Math.round(a / 1000);
    out = `${Math.floor(total / 60)} min ${total % 60} s`;
  } else {
    const total = Math.round(a / 60_000);
    out = `${Math.floor(total / 60)} h ${String(total % 60).padStart(2, '0')} min`;
  }
  return neg ? `-${out}` : out;
}

/** A USD amount with grouping and cents: `$10,234.56`, `-$12.30`; `signed` adds `+` to gains. */
export function fmtUsd(x: unknown, signed?: boolean): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '\u2014';
  const cents = Math.round(x * 100) / 100;
  const body = Math.abs(cents).toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  if (cents < 0) return `-$${body}`;
  return `${signed && cents > 0 ? '+' : ''}$${body}`;
}

/** A fraction as basis points: 0.00123 → `12.3 bps`. */
export function fmtBps(fraction: unknown): string {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction)) return '\u2014';
  const bps = fraction * 10_000;
  const a = Math.abs(bps);
  const digits = a >= 100 ? 0 : a >= 1 ? 1 : 2;
  return `${bps.toFixed(digits)} bps`;
}

/** Decimals that suit a price of this size (BTC 1, ETH 2, small coins more). */
export function pxDigits(p: unknown): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p === 0) return 2;
  const a = Math.abs(p);
  return a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 4 : 6;
}

/** A number with grouping and `d` decimals (`—` when unknown). */
export function fmtNum(x: unknown, d: number): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '\u2014';
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** A price with the decimals its size suits (or those of `ref`, e.g. the coin's mid). */
export function fmtPx(p: unknown, ref?: unknown): string {
  return fmtNum(p, pxDigits(typeof ref === 'number' && Number.isFinite(ref) ? ref : p));
}

/** A size in coins: up to 5 decimals, trailing zeros dropped. */
export function fmtSize(x: unknown): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '\u2014';
  return x.toLocaleString('en-US', { maximumFractionDigits: 5 });
}

/** A clock time (ms since epoch) as UTC `HH:MM:SS`. */
export function fmtClock(t: unknown): string {
  if (typeof t !== 'number' || !Number.isFinite(t)) return '\u2014';
  return new Date(t).toISOString().slice(11, 19);
}

/**
 * One decision record as the table shows it: its kind, the coin and strategy it names, and its reason in
 * words (the record's reason, message, detail or error, or what changed). Anything not an object → kind `?`.
 */
export function recordRow(r: unknown): {
  t: number | null;
  kind: string;
  coin: string;
  strategy: string;
  reason: string;
} {
  const o: Record<string, unknown> =
    r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : {};
  const str = (x: unknown): string => (typeof x === 'string' ? x : '');
  const sub = (k: string): Record<string, unknown> => {
    const v = o[k];
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  const intent = sub('intent');
  const order = sub('order');
  const fill = sub('fill');
  const position = sub('position');
  const kind = str(o.kind) || '?';
  const coin = str(o.coin) || str(intent.coin) || str(order.coin) || str(fill.coin);
  const strategy =
    str(o.strategy) ||
    str(intent.strategy) ||
    str(order.strategy) ||
    str(fill.strategy) ||
    str(position.strategy);
  let reason = '';
  switch (kind) {
    case 'exec.fill':
      reason = `${str(fill.side)} ${fmtSize(fill.sz)} @ ${fmtPx(fill.px)} (${str(o.liquidity)}, fee ${fmtUsd(fill.fee)})`;
      break;
    case 'exec.order':
      reason = `${str(o.event)}: ${str(order.side)} ${fmtSize(order.size)} @ ${fmtPx(order.limitPx)} ${str(order.tif)} ${str(order.purpose)} → ${str(order.status)}`;
      break;
    case 'exec.intent':
      reason =
        str(intent.kind) === 'entry'
          ? `entry ${str(intent.side)}: ${str(intent.reason)} (stop ${intent.stop}, target ${intent.target})`
          : `exit: ${str(intent.reason)}${str(intent.detail) ? ` — ${str(intent.detail)}` : ''}`;
      break;
    case 'exec.verdict':
      reason = `${o.ok === true ? 'approved' : `rejected ${str(o.code)}`}${str(o.detail) ? `: ${str(o.detail)}` : ''}`;
      break;
    case 'exec.position':
      reason =
        Object.keys(position).length > 0
          ? `${fmtSize(position.size)} @ ${fmtPx(position.avgEntry)} (${str(sub('cause').type)})`
          : `flat (${str(sub('cause').type)})`;
      break;
    case 'strategy':
      reason = `${str(o.from) || '∅'} → ${str(o.to)}`;
      break;
    case 'health':
      reason = `${str(o.from)} → ${str(o.to)}${str(o.reason) ? `: ${str(o.reason)}` : ''}`;
      break;
    case 'health.waiting':
      reason = str(o.summary);
      break;
    case 'exec.trading':
      reason = `${str(o.state)}: ${str(o.reason)}`;
      break;
    case 'operator.applied':
      reason = `${str(o.command)}${str(o.reason) ? `: ${str(o.reason)}` : str(o.state) ? ` ${str(o.state)}` : ''}`;
      break;
    case 'exec.strategy':
      reason = str(sub('event').type);
      break;
    case 'ignored':
      reason = `${str(o.event)} in ${str(o.state)}${str(o.note) ? `: ${str(o.note)}` : ''}`;
      break;
    default: {
      const prefix =
        kind === 'regime' || kind === 'gate' || kind === 'lease'
          ? `${str(o.regime)}${str(o.action) ? ` ${str(o.action)}` : ''}: `
          : '';
      reason = prefix + (str(o.reason) || str(o.message) || str(o.detail) || str(o.error) || str(o.note));
    }
  }
  const t = typeof o.t === 'number' && Number.isFinite(o.t) ? o.t : null;
  return { t, kind, coin, strategy, reason };
}

/**
 * A message from the system with its durations made readable: every `<number> ms` becomes what
 * `fmtDuration` says (`every channel fresh for 6213.92578125 ms` → `every channel fresh for 6.2 s`).
 */
export function humanise(text: unknown): string {
  if (typeof text !== 'string') return '';
  return text.replace(/(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s?ms\b/g, (_m: string, n: string) =>
    fmtDuration(Number(n)),
  );
}

/**
 * The functions above as page script (each a top-level function declaration). A transpiler that keeps
 * function names (esbuild's keepNames, as tsx runs this file) wraps inner functions in `__name(f, "f")`:
 * the page gets a `__name` that returns its function, so the source runs however this module was loaded.
 */
export const FORMAT_SOURCE: string = `var __name = function (f) { return f; };\n${[
  fmtDuration,
  fmtUsd,
  fmtBps,
  pxDigits,
  fmtNum,
  fmtPx,
  fmtSize,
  fmtClock,
  recordRow,
  humanise,
]
  .map((f) => f.toString())
  .join('\n')}`;
