import { describe, expect, it } from 'vitest';
import { createProgress, humanCount, humanDuration } from '../../runtime/progress.ts';
import { ManualClock } from '../../state/clock.ts';

class Capture {
  chunks: string[] = [];
  constructor(
    public isTTY: boolean,
    public columns = 100,
  ) {}
  write(s: string) {
    this.chunks.push(s);
    return true;
  }
  get text() {
    return this.chunks.join('');
  }
}

describe('progress', () => {
  it('TTY: one line redrawn in place with bar, percentage, rate and ETA', () => {
    const clock = new ManualClock(0);
    const out = new Capture(true, 100);
    const p = createProgress({ total: 1000, label: 'replay', stream: out, clock, unit: 'rec' });
    clock.advance(1000);
    p.update(100);
    expect(out.chunks).toHaveLength(1);
    const first = out.chunks[0]!;
    expect(first.startsWith('\r\x1b[2K')).toBe(true);
    expect(first).not.toContain('\n');
    expect(first).toMatch(/^\r\x1b\[2Kreplay \[#+-+\] 10\.0% 100\/1000 100 rec\/s ETA 9s$/);
    // throttled: a second update within the redraw period draws nothing
    clock.advance(50);
    p.update(105);
    expect(out.chunks).toHaveLength(1);
    clock.advance(950);
    p.update(500, { regimes: 3, fills: 12 });
    expect(out.chunks).toHaveLength(2);
    expect(out.chunks[1]).toContain('50.0% 500/1000 250 rec/s ETA 2s regimes=3 fills=12');
    // the bar is half full
    const bar = /\[(#*)(-*)\]/.exec(out.chunks[1]!)!;
    expect(bar[1]!.length).toBe(Math.round((bar[1]!.length + bar[2]!.length) / 2));
    clock.advance(2000);
    p.finish();
    const last = out.chunks[out.chunks.length - 1]!;
    expect(last.endsWith('\n')).toBe(true);
    expect(last).toContain('in 4s');
    // no line ever exceeds the terminal width
    for (const c of out.chunks)
      expect(c.replace(/^\r\x1b\[2K/, '').replace(/\n$/, '').length).toBeLessThan(100);
    p.finish();
    p.update(1000);
    expect(out.chunks[out.chunks.length - 1]).toBe(last);
  });

  it('non-TTY: plain lines at most every interval, and a final line', () => {
    const clock = new ManualClock(0);
    const out = new Capture(false);
    const p = createProgress({ total: 10_000, label: 'replay', stream: out, clock, intervalMs: 5_000 });
    for (let i = 1; i <= 20; i++) {
      clock.advance(1_000);
      p.update(i * 500);
    }
    p.finish({ trades: 4 });
    const lines = out.text.split('\n').filter((l) => l.length > 0);
    // 20 s of updates at one line per 5 s, plus the final one
    expect(lines).toHaveLength(5);
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\x1b');
    expect(lines[0]).toBe('replay: 25.0% 2500/10.0k 500/s ETA 15s');
    expect(lines[3]).toBe('replay: 100.0% 10.0k/10.0k 500/s ETA 0s');
    expect(lines[4]).toBe('replay: done 100.0% 10.0k/10.0k 500/s in 20s trades=4');
  });

  it('unknown total: counts and rate, no percentage or ETA; bad updates counted', () => {
    const clock = new ManualClock(0);
    const out = new Capture(true);
    const p = createProgress({ total: 0, label: 'scan', stream: out, clock });
    clock.advance(2_000);
    p.update(3_000);
    expect(out.text).toContain('scan 3000 1500/s elapsed 2s');
    expect(out.text).not.toContain('%');
    p.update(Number.NaN);
    p.update(-1);
    expect(p.rejected).toBe(2);
  });

  it('formats counts and durations', () => {
    expect(humanCount(950)).toBe('950');
    expect(humanCount(12_345)).toBe('12.3k');
    expect(humanCount(4_200_000)).toBe('4.20M');
    expect(humanCount(2.5)).toBe('2.5');
    expect(humanDuration(42)).toBe('42s');
    expect(humanDuration(187)).toBe('3:07');
    expect(humanDuration(3723)).toBe('1:02:03');
    expect(humanDuration(Number.NaN)).toBe('?');
  });
});
