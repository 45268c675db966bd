/**
 * `runtime status [--data DIR] [--json]`: the state of the instance running on a data dir — who holds the
 * data dir's lock, and (through its dashboard's API, or headless its metrics server's, with the data dir's operator token) its trading state,
 * health and what health waits for, each coin's regime and position, equity. Exit 0 when an instance runs,
 * 1 when none does, 2 on bad usage.
 */
import { join } from 'node:path';
import type { DashboardSnapshot } from '../dashboard/types.ts';
import { describeHolder, readLock } from '../lock.ts';
import { TOKEN_FILE, readToken } from '../token.ts';
import { guarded, type Io, parse, UsageError } from './common.ts';

export const STATUS_USAGE = `usage: runtime status [--data DIR] [--json]

The state of the instance running on the data dir (default ./data): its pid and command, and through its
dashboard (with the data dir's operator token) the trading state, health and what it waits for, each coin's
regime and position, and equity. Exit 0: running; 1: not running; 2: usage.
`;

export async function statusCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, STATUS_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      data: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(STATUS_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const dir = values.data ?? './data';
    const lock = readLock(dir);
    if (!lock?.alive) {
      const last = lock ? ` (last: ${describeHolder(lock.holder)})` : '';
      if (values.json)
        io.stdout(JSON.stringify({ running: false, dataDir: dir, ...(lock ? { last: lock.holder } : {}) }));
      else io.stdout(`not running on ${dir}${last}`);
      return 1;
    }
    let snapshot: DashboardSnapshot | null = null;
    let why = '';
    // its dashboard's API, or (headless) its metrics server's, which answers the same snapshot
    const origin = lock.holder.dashboard ?? lock.holder.status;
    const server = lock.holder.dashboard !== undefined ? 'dashboard' : 'metrics server';
    if (origin === undefined)
      why = 'it serves neither a dashboard nor a metrics server (metrics.enabled false): no state to read';
    else {
      try {
        const token = readToken(dir);
        const res = await fetch(`${origin}/api/snapshot`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(5_000),
        });
        if (res.status !== 200) why = `its ${server} answered ${res.status}`;
        else snapshot = (await res.json()) as DashboardSnapshot;
      } catch (e) {
        why = `cannot read its state: ${(e as Error).message} (token: ${join(dir, TOKEN_FILE)})`;
      }
    }
    if (values.json) {
      io.stdout(
        JSON.stringify({
          running: true,
          dataDir: dir,
          holder: lock.holder,
          snapshot,
          ...(why ? { why } : {}),
        }),
      );
      return 0;
    }
    const lines = [`running on ${dir}: ${describeHolder(lock.holder)}`];
    if (!snapshot) lines.push(`  ${why}`);
    else {
      const s = snapshot;
      lines.push(`  trading ${s.tradingState}, equity ${s.equity === null ? '—' : s.equity.toFixed(2)}`);
      const tick = s.lastTickTime;
      lines.push(
        typeof tick === 'number'
          ? `  last tick ${((s.time - tick) / 1000).toFixed(1)} s ago`
          : '  no control tick yet (the decision side has not started)',
      );
      lines.push(`  health ${s.health.level}${s.health.reason ? ` — ${s.health.reason}` : ''}`);
      for (const c of s.coins) {
        const pos = c.position
          ? `${c.position.side} ${c.position.size} @ ${c.position.entry} (unrealised ${c.position.unrealised.toFixed(2)})`
          : 'flat';
        lines.push(`  ${c.coin}: regime ${c.regime}, mid ${c.mid ?? '—'}, position ${pos}`);
      }
    }
    io.stdout(lines.join('\n'));
    return 0;
  });
}
