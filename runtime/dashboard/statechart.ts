/**
 * A strategy lifecycle drawn from the machine's JSON definition (`diagrams/strategy.json`): its
 * top-level states on an ellipse, one arrow per (from → to) pair of top-level states with the events
 * that take it, as an inline SVG. Each state is a `<g class="state" data-state="KEY">`; the page (and
 * `renderStatechartSvg`'s `active`) marks the current one with class `active`.
 */
import { readFileSync } from 'node:fs';
import type { StatechartNodeJson } from './types.ts';

export interface StatechartState {
  key: string;
  x: number;
  y: number;
  w: number;
  h: number;
  initial: boolean;
  /** Child state keys (compound states). */
  children: string[];
}

export interface StatechartEdge {
  from: string;
  to: string;
  events: string[];
}

export interface StatechartLayout {
  id: string;
  width: number;
  height: number;
  states: StatechartState[];
  edges: StatechartEdge[];
}

/** Read and parse a machine JSON file (e.g. `diagrams/strategy.json`); throws with the path on failure. */
export function loadStatechart(path: string): StatechartNodeJson {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StatechartNodeJson;
  } catch (err) {
    throw new Error(`cannot load statechart ${path}: ${(err as Error).message}`);
  }
}

function initialKey(node: StatechartNodeJson): string | null {
  const init = node.initial;
  if (typeof init === 'string') return init;
  const t = init?.target?.[0];
  if (!t) return null;
  const parts = t.replace(/^#/, '').split('.');
  return parts[parts.length - 1] ?? null;
}

/** Friendlier event names: XState's generated `xstate.after.<delay>.<path>` becomes `after <delay>`. */
export function eventLabel(eventType: string): string {
  const m = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (m) return `after ${m[1]}`;
  return eventType;
}

/**
 * Lay out the top-level states of a machine JSON. Transitions declared anywhere inside a top-level state
 * (its children included) count as leaving it; targets are resolved to their top-level ancestor.
 */
export function statechartLayout(json: StatechartNodeJson): StatechartLayout {
  const rootId = json.id ?? json.key ?? 'machine';
  const states = json.states ?? {};
  const keys = Object.keys(states);
  const topOf = (target: string): string | null => {
    let path = target;
    if (path.startsWith('#')) {
      path = path.slice(1);
      if (path === rootId) return null;
      if (path.startsWith(`${rootId}.`)) path = path.slice(rootId.length + 1);
    }
    const first = path.split('.')[0] ?? '';
    return keys.includes(first) ? first : null;
  };
  const edgeMap = new Map<string, StatechartEdge>();
  const walk = (top: string, node: StatechartNodeJson): void => {
    for (const t of node.transitions ?? []) {
      for (const target of t.target ?? []) {
        const to = topOf(target);
        if (to === null || to === top) continue;
        const id = `${top}>${to}`;
        let e = edgeMap.get(id);
        if (!e) edgeMap.set(id, (e = { from: top, to, events: [] }));
        const label = eventLabel(t.eventType ?? '');
        if (label && !e.events.includes(label)) e.events.push(label);
      }
    }
    for (const child of Object.values(node.states ?? {})) walk(top, child);
  };
  for (const k of keys) walk(k, states[k]!);

  const width = 560;
  const height = 320;
  const w = 104;
  const h = 40;
  const cx = width / 2;
  const cy = height / 2;
  const rx = width / 2 - w / 2 - 12;
  const ry = height / 2 - h / 2 - 12;
  const init = initialKey(json);
  const n = Math.max(1, keys.length);
  const laid: StatechartState[] = keys.map((key, i) => {
    // start at the left and go clockwise, so the lifecycle reads left → right along the top
    const a = Math.PI + (2 * Math.PI * i) / n;
    return {
      key,
      x: Math.round(cx + rx * Math.cos(a)),
      y: Math.round(cy + ry * Math.sin(a)),
      w,
      h,
      initial: key === init,
      children: Object.keys(states[key]!.states ?? {}),
    };
  });
  return { id: rootId, width, height, states: laid, edges: [...edgeMap.values()] };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Where the segment from a box's centre towards (tx, ty) leaves the box. */
function boxExit(s: StatechartState, tx: number, ty: number): [number, number] {
  const dx = tx - s.x;
  const dy = ty - s.y;
  if (dx === 0 && dy === 0) return [s.x, s.y];
  const sx = dx === 0 ? Number.POSITIVE_INFINITY : s.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Number.POSITIVE_INFINITY : s.h / 2 / Math.abs(dy);
  const k = Math.min(sx, sy);
  return [s.x + dx * k, s.y + dy * k];
}

const f = (x: number): string => (Math.round(x * 10) / 10).toString();

/** Render the layout as an SVG string; `active` (a top-level key) gets class `active`. */
export function renderStatechartSvg(
  layout: StatechartLayout,
  opts: { active?: string; substate?: string; className?: string } = {},
): string {
  const byKey = new Map(layout.states.map((s) => [s.key, s]));
  const pairs = new Set(layout.edges.map((e) => `${e.from}>${e.to}`));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="${escapeHtml(opts.className ?? 'statechart')}" ` +
      `data-machine="${escapeHtml(layout.id)}" viewBox="0 0 ${layout.width} ${layout.height}" ` +
      `width="${layout.width}" height="${layout.height}" role="img" aria-label="${escapeHtml(layout.id)} statechart">`,
  );
  out.push(
    '<defs><marker id="sc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ' +
      'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
  );
  for (const e of layout.edges) {
    const a = byKey.get(e.from)!;
    const b = byKey.get(e.to)!;
    // a pair with arrows both ways: bend each to its own side so they do not overlap
    const both = pairs.has(`${e.to}>${e.from}`);
    const mx = (a.x + b.x) / 2;
    const my = (a.y + b.y) / 2;
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const bend = both ? 22 : 0;
    const qx = mx + (-(b.y - a.y) / len) * bend;
    const qy = my + ((b.x - a.x) / len) * bend;
    const [x1, y1] = boxExit(a, qx, qy);
    const [x2, y2] = boxExit(b, qx, qy);
    const label = e.events.join(', ');
    out.push(
      `<g class="edge" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}">` +
        `<title>${escapeHtml(`${e.from} → ${e.to}: ${label}`)}</title>` +
        `<path d="M${f(x1)},${f(y1)} Q${f(qx)},${f(qy)} ${f(x2)},${f(y2)}" fill="none" stroke="currentColor" ` +
        `marker-end="url(#sc-arrow)"/></g>`,
    );
  }
  for (const s of layout.states) {
    const active = s.key === opts.active;
    const cls = `state${active ? ' active' : ''}${s.initial ? ' initial' : ''}`;
    const sub = active && opts.substate ? opts.substate : '';
    out.push(
      `<g class="${cls}" data-state="${escapeHtml(s.key)}" data-children="${escapeHtml(s.children.join(' '))}">` +
        `<rect x="${f(s.x - s.w / 2)}" y="${f(s.y - s.h / 2)}" width="${s.w}" height="${s.h}" rx="8"/>` +
        `<text class="name" x="${s.x}" y="${f(s.y - (s.children.length > 0 ? 3 : -4))}" text-anchor="middle">${escapeHtml(s.key)}</text>` +
        (s.children.length > 0
          ? `<text class="sub" x="${s.x}" y="${f(s.y + 13)}" text-anchor="middle">${escapeHtml(sub)}</text>`
          : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return out.join('');
}
