/**
 * The operator chaos test (issue 20): seeded random sequences of operator commands (through the dashboard's
 * API, with the data dir's token), SIGKILLs, SIGTERMs/SIGINTs/SIGHUPs, restarts the same day and the next day,
 * and a second instance on the same data dir, against the embedded simulator through the compiled bin.
 * After every step the invariants are checked from what the system left on disk:
 *
 * - each operator command is applied exactly once (never twice; once whenever a tick followed it in its run);
 * - a halt persists until it is reset: a restart comes up in the trading state the journal says (the last
 *   one before the run's own shutdown), and never ACTIVE when it says HALTED;
 * - no entry order is submitted while trading is not ACTIVE;
 * - no duplicate sequence numbers (`journal verify` passes every day's journal);
 * - the live decision log equals the replay of the journal (a run stopped gracefully: byte for byte; a run
 *   killed: a prefix — the live process acts only on durable ticks, so the replay has everything it did);
 * - no position is forgotten: the positions the journal holds at a restart are the ones the restarted run
 *   recovers (and flattens).
 *
 * `runChaos` is used by the short test in `npm test` (test/runtime/chaos.e2e.test.ts) and by `npm run chaos`
 * (tools/chaos.ts) for long runs; a failure names the seed and the step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../actors/journal/reader.ts';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import {
  DecisionFeed,
  RestoreBuilder,
  type RunInfo,
  restoreFromDataDir,
} from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { bytesJson, RecordKind } from '../../state/records.ts';
import { prng } from '../journal/helpers.ts';
import { BIN, ROOT, type RuntimeProcess, spawnRuntime } from '../setup/runtime-bin.ts';

export interface ChaosOptions {
  seed: number;
  steps: number;
  /** An empty directory for the data dir and the decision logs. */
  dir: string;
  /** Simulated warm-up pace and speed after it (see `runtime start --help`). */
  warmupRate?: number;
  speed?: number;
  /** How long a 'trade' step lets the market play (s, default 20). */
  tradeS?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  steps: string[];
  runs: number;
  commands: number;
  applied: number;
  kills: number;
  graceful: number;
  secondInstances: number;
  days: number;
  entries: number;
  recoveredPositions: number;
}

type Cmd =
  | { type: 'KILL'; reason: string }
  | { type: 'RESET_HALT' }
  | { type: 'SET_TRADING'; state: 'ACTIVE' | 'REDUCING' | 'HALTED' };

const COIN = 'BTC';
const DAY0 = Date.UTC(2026, 10, 20, 6, 0, 0); // 06:00 UTC: a run's simulated hours stay within the day

class ChaosFailure extends Error {}

/** The failure message names the seed and the step, so the run can be repeated. */
function fail(seed: number, step: string, what: string): never {
  throw new ChaosFailure(`chaos seed ${seed}, ${step}: ${what}\n(repeat: npm run chaos -- --seed ${seed})`);
}

interface Live {
  p: RuntimeProcess;
  url: string;
  decisions: string;
  /** The trading state the journal said the run should come up with. */
  expected: 'ACTIVE' | 'REDUCING' | 'HALTED';
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const log = o.log ?? (() => {});
  const data = join(o.dir, 'data');
  const journalRoot = join(data, 'journal');
  mkdirSync(data, { recursive: true });
  const report: ChaosReport = {
    seed: o.seed,
    steps: [],
    runs: 0,
    commands: 0,
    applied: 0,
    kills: 0,
    graceful: 0,
    secondInstances: 0,
    days: 1,
    entries: 0,
    recoveredPositions: 0,
  };
  let day = 0;
  let live: Live | null = null;
  /** Per run: its decision log and whether it ended gracefully. */
  const runs: Array<{ decisions: string; graceful: boolean | null; day: number }> = [];

  const startArgs = (at: number, decisions: string) => [
    'start',
    '--data',
    data,
    '--coins',
    COIN,
    '--scenario',
    'sideways',
    '--start-at',
    String(at),
    '--warmup-rate',
    String(o.warmupRate ?? 600),
    '--speed',
    String(o.speed ?? 30),
    '--decisions',
    decisions,
    '--log-level',
    'warn',
    '--json',
  ];

  /** Where the next run starts: after everything journaled that day (the clock never goes back in a day). */
  const nextStart = (): number => {
    const dayStart = DAY0 + day * 86_400_000;
    const dir = join(journalRoot, new Date(dayStart).toISOString().slice(0, 10));
    let last = dayStart;
    if (existsSync(dir))
      for (const { record } of readJournal(dir, { onCorrupt: () => {} })) last = Math.max(last, record.time);
    return Math.ceil((last + 1_000) / 1_000) * 1_000;
  };

  const start = async (step: string): Promise<Live> => {
    const at = nextStart();
    const recovered = restoreFromDataDir(journalRoot, at, configFor);
    const expected = recovered.trading?.state ?? 'ACTIVE';
    const decisions = join(o.dir, `run-${runs.length + 1}.jsonl`);
    const p = spawnRuntime(startArgs(at, decisions));
    await p.waitForOutput((out) => /^dashboard: (\S+)$/m.test(out), 'the dashboard URL', 120_000);
    const url = /^dashboard: (\S+)$/m.exec(p.stdout())![1]!;
    runs.push({ decisions, graceful: null, day });
    report.runs++;
    const state = await snapshotState(url);
    // a halt survives the restart; a run with orphaned positions may halt itself on its first tick
    if (expected !== 'ACTIVE' && state !== expected)
      fail(
        o.seed,
        step,
        `restart came up ${state}, the journal says ${expected} (${recovered.trading?.reason})`,
      );
    log(`  up: trading ${state} (journal: ${expected})`);
    // `runtime status` finds it through the data dir alone (lock + token) and says the same
    const st = spawnSync(process.execPath, [BIN, 'status', '--data', data, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const status =
      st.status === 0
        ? (JSON.parse(st.stdout) as { holder: { pid: number }; snapshot: { tradingState: string } | null })
        : null;
    if (!status || status.holder.pid !== p.pid || status.snapshot?.tradingState === undefined)
      fail(o.seed, step, `runtime status: exit ${st.status}: ${st.stdout}${st.stderr}`);
    return { p, url, decisions, expected };
  };

  const stopLive = async (how: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGKILL', step: string) => {
    const l = live!;
    l.p.child.kill(how);
    // bounded: the shutdown's own grace deadline is 60 s
    const { code, signal } = await Promise.race([
      l.p.exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new ChaosFailure(`chaos seed ${o.seed}, ${step}: ${how}: still running after 90 s`)),
          90_000,
        ).unref(),
      ),
    ]);
    if (how === 'SIGKILL') {
      if (signal !== 'SIGKILL') fail(o.seed, step, `SIGKILL: exited ${code}/${signal}`);
      runs.at(-1)!.graceful = false;
      report.kills++;
    } else {
      if (code !== 0) fail(o.seed, step, `${how}: exit ${code}/${signal}\n${l.p.stderr().slice(-2000)}`);
      if (!/"journal":\{"dir"/.test(l.p.stdout())) fail(o.seed, step, `${how}: no summary printed`);
      runs.at(-1)!.graceful = true;
      report.graceful++;
    }
    live = null;
  };

  try {
    return await steps();
  } finally {
    // a failed step must not leave the trading process behind
    const l = live as Live | null;
    if (l && l.p.child.exitCode === null && l.p.child.signalCode === null) l.p.child.kill('SIGKILL');
  }

  async function steps(): Promise<ChaosReport> {
    for (let i = 0; i < o.steps; i++) {
      const action = live
        ? pick(['command', 'command', 'command', 'trade', 'kill', 'killpos', 'term', 'second'] as const)
        : pick(['restart', 'restart', 'nextday'] as const);
      const step = `step ${i + 1} (${action})`;
      report.steps.push(action);
      log(step);
      switch (action) {
        case 'restart':
        case 'nextday':
          if (action === 'nextday') {
            day++;
            report.days++;
          }
          live = await start(step);
          break;
        case 'command': {
          const cmd = pick<Cmd>([
            { type: 'KILL', reason: `chaos ${i + 1}` },
            { type: 'RESET_HALT' },
            { type: 'SET_TRADING', state: 'ACTIVE' },
            { type: 'SET_TRADING', state: 'REDUCING' },
            { type: 'SET_TRADING', state: 'HALTED' },
          ]);
          const before = appliedIn(live!.decisions);
          await postCommand(live!.url, cmd, o.seed, step);
          report.commands++;
          // applied at the next tick (one is requested at once)
          await waitFor(live!, () => appliedIn(live!.decisions) > before, 10_000);
          if (appliedIn(live!.decisions) !== before + 1)
            fail(
              o.seed,
              step,
              `${cmd.type}: ${appliedIn(live!.decisions) - before} applications in 10 s, not 1`,
            );
          log(`  ${JSON.stringify(cmd)} applied`);
          break;
        }
        case 'trade':
          // let the market play on (past the warm-up): until an entry or a while
          await waitFor(
            live!,
            () => /"kind":"exec\.fill"/.test(readIf(live!.decisions)),
            (o.tradeS ?? 20) * 1000,
          );
          break;
        case 'kill':
          await stopLive('SIGKILL', step);
          break;
        case 'killpos':
          // a crash while a position is open (or after a while, if none opens)
          await waitFor(live!, () => openPositions(readIf(live!.decisions)) > 0, (o.tradeS ?? 20) * 1000);
          log(`  ${openPositions(readIf(live!.decisions))} position(s) open`);
          await stopLive('SIGKILL', step);
          break;
        case 'term':
          await stopLive(pick(['SIGTERM', 'SIGINT', 'SIGHUP'] as const), step);
          break;
        case 'second': {
          const r = spawnSync(
            process.execPath,
            [BIN, ...startArgs(nextStart(), join(o.dir, 'second.jsonl'))],
            {
              cwd: ROOT,
              encoding: 'utf8',
              timeout: 60_000,
            },
          );
          if (r.status !== 2 || !new RegExp(`in use by pid ${live!.p.pid}\\b`).test(r.stderr))
            fail(
              o.seed,
              step,
              `a second instance was not refused naming the holder: exit ${r.status}\n${r.stderr}`,
            );
          report.secondInstances++;
          break;
        }
      }
      if (!live) checkInvariants(o.seed, step, journalRoot, runs, report);
    }
    if (live) await stopLive('SIGTERM', 'final stop');
    checkInvariants(o.seed, 'final', journalRoot, runs, report);
    return report;
  }
}

async function snapshotState(url: string): Promise<'ACTIVE' | 'REDUCING' | 'HALTED'> {
  const u = new URL(url);
  const res = await fetch(`${u.origin}/api/snapshot${u.search}`, { signal: AbortSignal.timeout(10_000) });
  const snap = (await res.json()) as { tradingState: 'ACTIVE' | 'REDUCING' | 'HALTED' };
  return snap.tradingState;
}

async function postCommand(url: string, cmd: Cmd, seed: number, step: string): Promise<void> {
  const u = new URL(url);
  const token = u.searchParams.get('token')!;
  const res = await fetch(`${u.origin}/api/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(cmd),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) fail(seed, step, `command ${cmd.type} answered ${res.status}: ${await res.text()}`);
}

const readIf = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

/** The engine config of a run from the config it recorded. */
const configFor = (run: RunInfo | null) =>
  engineConfigFrom(parseConfig(run ? run.config : { network: 'sim', coins: [COIN] }));

/** Coins with an open position at the end of a live decision log. */
function openPositions(log: string): number {
  const last = new Map<string, boolean>();
  for (const line of log.split('\n')) {
    if (!line.includes('"kind":"exec.position"')) continue;
    const l = JSON.parse(line) as { coin: string; position: unknown };
    last.set(l.coin, l.position !== null);
  }
  return [...last.values()].filter(Boolean).length;
}

/** Operator commands applied so far in a run's live decision log. */
function appliedIn(decisions: string): number {
  return readIf(decisions)
    .split('\n')
    .filter((l) => l.includes('"kind":"operator.applied"') && !l.includes('"command":"SHUTDOWN"')).length;
}

/** Poll (bounded by `ms`) until `cond` holds or the process stopped; the condition is checked after. */
async function waitFor(l: Live, cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms && l.p.child.exitCode === null)
    await new Promise((r) => setTimeout(r, 50));
}

/** Every invariant, from the files on disk (the data dir's journals and the runs' decision logs). */
function checkInvariants(
  seed: number,
  step: string,
  journalRoot: string,
  runs: Array<{ decisions: string; graceful: boolean | null; day: number }>,
  report: ChaosReport,
): void {
  const days = existsSync(journalRoot) ? readdirSync(journalRoot).sort() : [];
  let runIndex = 0;
  /** The positions the replay of the previous run ended with (what the journal implies). */
  let prevFinal: string[] | null = null;
  let applied = 0;
  let entries = 0;
  // nothing runs between steps: status says so
  const st = spawnSync(process.execPath, [BIN, 'status', '--data', join(journalRoot, '..')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (st.status !== 1 || !/^not running/.test(st.stdout))
    fail(seed, step, `runtime status with nothing running: exit ${st.status}: ${st.stdout}`);
  for (const d of days) {
    const dir = join(journalRoot, d);
    // no duplicate or backward sequence numbers, no corruption
    const v = spawnSync(process.execPath, [BIN, 'journal', 'verify', dir], { cwd: ROOT, encoding: 'utf8' });
    if (v.status !== 0) fail(seed, step, `journal verify ${d}: exit ${v.status}\n${v.stdout}${v.stderr}`);

    // replay the day run by run; compare each run's lines with its live log
    const perRun: DecisionLine[][] = [];
    const feed = new DecisionFeed(
      configFor(null),
      (l) => perRun.at(-1)!.push(l),
      (run: RunInfo) => configFor(run),
    );
    const opsPerRun: number[] = [];
    const ticksAfterLastOp: boolean[] = [];
    const restoreAtStart: unknown[][] = [];
    for (const { record } of readJournal(dir, { onCorrupt: () => {} })) {
      if (record.kind === RecordKind.Decision && record.channel === 'run.start') {
        perRun.push([]);
        opsPerRun.push(0);
        ticksAfterLastOp.push(true);
        restoreAtStart.push(bytesJson<{ restore: unknown[] }>(record.data).restore);
      } else if (record.kind === RecordKind.Decision && record.channel === 'operator') {
        const c = bytesJson<{ type: string }>(record.data);
        if (c.type !== 'SHUTDOWN') {
          opsPerRun[opsPerRun.length - 1]!++;
          ticksAfterLastOp[ticksAfterLastOp.length - 1] = false;
        }
      } else if (record.kind === RecordKind.Tick && ticksAfterLastOp.length > 0) {
        ticksAfterLastOp[ticksAfterLastOp.length - 1] = true;
      }
      feed.record(record);
    }
    perRun.forEach((lines, k) => {
      const run = runs[runIndex + k];
      const where = `${d} run ${k + 1}`;
      if (!run) fail(seed, step, `${where}: a run.start no process of the test wrote`);
      // each command applied once: never twice, and once whenever a tick followed it in its run
      const ops = lines.filter((l) => l.kind === 'operator.applied' && l.command !== 'SHUTDOWN').length;
      applied += ops;
      if (ops > opsPerRun[k]!)
        fail(seed, step, `${where}: ${ops} commands applied, ${opsPerRun[k]} journaled`);
      if (ticksAfterLastOp[k] && ops !== opsPerRun[k])
        fail(
          seed,
          step,
          `${where}: ${opsPerRun[k]} commands journaled and followed by a tick, ${ops} applied`,
        );
      // no entry while trading is not ACTIVE (starting from the state the run recovered)
      const restored = new RestoreBuilder();
      restored.runStart(restoreAtStart[k]!);
      let trading = restored.trading()?.state ?? 'ACTIVE';
      for (const l of lines) {
        if (l.kind === 'exec.trading') trading = l.state as typeof trading;
        if (l.kind === 'exec.order' && l.event === 'submit') {
          const order = l.order as { purpose?: string };
          if (order.purpose === 'entry') {
            entries++;
            if (trading !== 'ACTIVE')
              fail(seed, step, `${where}: entry submitted while ${trading} at t=${l.t}`);
          }
        }
      }
      // no position forgotten: what the journal implies at the end of the previous run (its replay) is
      // what this run recovered, and what it recovered it flattens (restart.recovered)
      const held = positionsOf(restoreAtStart[k]!);
      if (prevFinal !== null && JSON.stringify(prevFinal) !== JSON.stringify(held))
        fail(
          seed,
          step,
          `${where}: the journal implies positions [${prevFinal.join(', ')}], the run recovered [${held.join(', ')}]`,
        );
      const final = new RestoreBuilder();
      final.runStart(restoreAtStart[k]!);
      for (const l of lines) final.line(l);
      prevFinal = positionsOf(final.records());
      if (held.length > 0) {
        report.recoveredPositions += held.length;
        const rec = lines.find((l) => l.kind === 'restart.recovered');
        if (lines.length > 0 && !rec)
          fail(seed, step, `${where}: positions ${held.join(', ')} held, none recovered`);
        if (rec && JSON.stringify([...(rec.positions as string[])].sort()) !== JSON.stringify(held))
          fail(
            seed,
            step,
            `${where}: held ${held.join(', ')}, recovered ${(rec.positions as string[]).join(', ')}`,
          );
      }
      // the live log equals the replay (a prefix after a SIGKILL)
      const replayed = lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
      const liveLog = existsSync(run!.decisions) ? readFileSync(run!.decisions, 'utf8') : '';
      if (run!.graceful === true && liveLog !== replayed)
        fail(
          seed,
          step,
          `${where}: the live decision log (${liveLog.length} B) differs from the replay (${replayed.length} B)${firstDiff(liveLog, replayed)}`,
        );
      if (run!.graceful === false && !replayed.startsWith(liveLog.slice(0, liveLog.lastIndexOf('\n') + 1)))
        fail(
          seed,
          step,
          `${where}: the killed run's live log is not a prefix of the replay${firstDiff(liveLog, replayed)}`,
        );
    });
    runIndex += perRun.length;
  }
  report.applied = applied;
  report.entries = entries;
}

/** Open positions in restore records (the last position record per coin), as `COIN size`. */
function positionsOf(restore: readonly unknown[]): string[] {
  const last = new Map<string, { size: number } | null>();
  for (const r of restore) {
    const x = r as { kind?: string; coin?: string; position?: { size: number } | null };
    if (x.kind === 'position' && typeof x.coin === 'string') last.set(x.coin, x.position ?? null);
  }
  return [...last.entries()]
    .filter(([, p]) => p !== null)
    .map(([coin, p]) => `${coin} ${p!.size}`)
    .sort();
}

function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `; first difference at byte ${i}:\n  live:   ${a.slice(i, i + 160)}\n  replay: ${b.slice(i, i + 160)}`;
}
