/**
 * `npm run diagrams` / `runtime diagrams` — for every machine in `machines/` write
 *   diagrams/NAME.mmd   a Mermaid stateDiagram-v2 walked from `machine.root` (nested and parallel
 *                       states, guards, `after`, invoke done/error), readable on GitHub;
 *   diagrams/NAME.json  the machine's JSON definition (`machine.toJSON()`), importable in Stately;
 *   diagrams/README.md  an index page embedding them.
 * `--check` writes nothing and exits 1 when any file is missing or stale (part of `npm run check`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStateMachine, AnyStateNode } from 'xstate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function mid(node: AnyStateNode): string {
  return node.id.replace(/[^A-Za-z0-9_]/g, '_');
}

function guardLabel(g: unknown): string {
  if (!g) return '';
  if (typeof g === 'string') return g;
  if (typeof g === 'function') {
    const f = g as { name?: string; guards?: unknown[] };
    if (Array.isArray(f.guards)) {
      const op = f.name === 'or' ? ' or ' : f.name === 'not' ? 'not ' : ' and ';
      const parts = f.guards.map(guardLabel);
      return op === 'not ' ? `not ${parts[0]}` : parts.join(op);
    }
    return f.name || 'guard';
  }
  if (typeof g === 'object' && g !== null && 'type' in g) return String((g as { type: unknown }).type);
  return 'guard';
}

function actionLabel(a: unknown): string | null {
  if (typeof a === 'string') return a;
  if (typeof a === 'object' && a !== null && 'type' in a) return String((a as { type: unknown }).type);
  if (typeof a === 'function') {
    const n = (a as { name?: string }).name;
    return n && !n.startsWith('xstate.') ? n : null;
  }
  return null;
}

function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  if (eventType === '*') return '* (ignored)';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done: ${done[1]}`;
  const err = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (err) return `error: ${err[1]}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

function sanitize(label: string): string {
  // ':' separates the label in Mermaid; keep labels on one line and free of characters it parses
  return label
    .replace(/[:;"<>{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function toMermaid(machine: AnyStateMachine): string {
  const lines: string[] = ['stateDiagram-v2', '  direction LR'];
  const walk = (node: AnyStateNode, indent: string): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (node.type === 'compound' && node.initial) {
      const init = node.initial.target[0];
      if (init) lines.push(`${indent}[*] --> ${mid(init)}`);
    }
    children.forEach((child, i) => {
      const kids = Object.values(child.states) as AnyStateNode[];
      const label = child.key;
      if (kids.length > 0) {
        lines.push(`${indent}state "${label}" as ${mid(child)} {`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${label}" as ${mid(child)}`);
      }
      if (child.type === 'final') lines.push(`${indent}${mid(child)} --> [*]`);
      for (const inv of (child as any).invoke as Array<{ id: string; src: unknown }>) {
        const src = typeof inv.src === 'string' ? inv.src : inv.id;
        lines.push(`${indent}note right of ${mid(child)}: invokes ${sanitize(src)} (id ${sanitize(inv.id)})`);
      }
      if (node.type === 'parallel' && i < children.length - 1) lines.push(`${indent}--`);
    });
  };
  walk(machine.root, '  ');
  // transitions after all states are declared (Mermaid needs the composite blocks first)
  const edges: string[] = [];
  const visit = (node: AnyStateNode): void => {
    const defs: any[] = [];
    for (const [, ts] of node.transitions as Map<string, any[]>) defs.push(...ts);
    defs.push(...((node.always as any[]) ?? []));
    for (const t of defs) {
      const g = guardLabel(t.guard);
      const acts = ((t.actions as unknown[]) ?? []).map(actionLabel).filter((x): x is string => !!x);
      let label = eventLabel(t.eventType ?? '');
      if (g) label += ` [${g}]`;
      if (acts.length) label += ` / ${acts.join(', ')}`;
      const targets: AnyStateNode[] = t.target?.length ? t.target : [node];
      for (const target of targets) {
        if (node === machine.root && target === machine.root) {
          edges.push(`  note right of ${mid(firstLeaf(machine.root))}: any state — ${sanitize(label)}`);
          continue;
        }
        edges.push(`  ${mid(node)} --> ${mid(target)}: ${sanitize(label)}`);
      }
    }
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(machine.root);
  return [...lines, ...edges, ''].join('\n');
}

function firstLeaf(node: AnyStateNode): AnyStateNode {
  const kids = Object.values(node.states) as AnyStateNode[];
  return kids.length ? firstLeaf(kids[0]!) : node;
}

export async function loadMachines(): Promise<
  Array<{ name: string; file: string; machine: AnyStateMachine }>
> {
  const dir = join(root, 'machines');
  const out: Array<{ name: string; file: string; machine: AnyStateMachine }> = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.machine.ts'))
    .sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Record<string, unknown>;
    for (const [exp, value] of Object.entries(mod)) {
      if (
        value &&
        typeof value === 'object' &&
        'root' in value &&
        'toJSON' in value &&
        exp.endsWith('Machine')
      ) {
        out.push({
          name: basename(f, '.machine.ts'),
          file: `machines/${f}`,
          machine: value as AnyStateMachine,
        });
      }
    }
  }
  return out;
}

export async function renderAll(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const machines = await loadMachines();
  const index: string[] = [
    '# State machines',
    '',
    'Generated by `npm run diagrams` from the machine objects in `machines/` — do not edit by hand;',
    '`npm run check` fails when these files are stale.',
    '',
    'To open a machine in the Stately visualizer: open <https://stately.ai/registry/new>, choose',
    '"Import", and paste the machine source from the file named below (or its `.json` definition).',
    '',
  ];
  for (const { name, file, machine } of machines) {
    const mmd = toMermaid(machine);
    files.set(`${name}.mmd`, mmd);
    files.set(`${name}.json`, `${JSON.stringify(machine.toJSON(), null, 2)}\n`);
    index.push(
      `## ${name}`,
      '',
      `Source: [\`${file}\`](../${file}) · definition: [\`${name}.json\`](${name}.json)`,
      '',
    );
    index.push('```mermaid', mmd.trimEnd(), '```', '');
  }
  files.set('README.md', index.join('\n'));
  return files;
}

const README_START = '<!-- machines:start (generated by `npm run diagrams`) -->';
const README_END = '<!-- machines:end -->';

/** The README's machine section: every machine's Mermaid chart (GitHub renders it). */
export function readmeSection(files: Map<string, string>): string {
  const parts = [README_START, ''];
  for (const [name, content] of [...files].filter(([n]) => n.endsWith('.mmd')).sort()) {
    parts.push(
      `<details><summary><code>${name.replace(/\.mmd$/, '')}</code> — <a href="diagrams/${name}">diagrams/${name}</a></summary>`,
      '',
      '```mermaid',
      content.trimEnd(),
      '```',
      '',
      '</details>',
      '',
    );
  }
  parts.push(README_END);
  return parts.join('\n');
}

/** README.md with its machine section replaced (null when the README has no markers). */
export function patchReadme(readme: string, section: string): string | null {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) return null;
  return readme.slice(0, a) + section + readme.slice(b + README_END.length);
}

export async function diagramsCommand(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
): Promise<number> {
  if (argv.includes('--help')) {
    out(
      'usage: runtime diagrams [--check]\n  writes diagrams/NAME.mmd, NAME.json and README.md for every machine in machines/;\n  --check writes nothing and exits 1 when any is stale',
    );
    return 0;
  }
  const check = argv.includes('--check');
  const outDir = join(root, 'diagrams');
  const files = await renderAll();
  const stale: string[] = [];
  if (!check) mkdirSync(outDir, { recursive: true });
  for (const [name, content] of files) {
    const p = join(outDir, name);
    const current = existsSync(p) ? readFileSync(p, 'utf8') : null;
    if (current === content) continue;
    if (check) stale.push(name);
    else writeFileSync(p, content);
  }
  const readmePath = join(root, 'README.md');
  if (existsSync(readmePath)) {
    const readme = readFileSync(readmePath, 'utf8');
    const patched = patchReadme(readme, readmeSection(files));
    if (patched !== null && patched !== readme) {
      if (check) stale.push('README.md (machines section)');
      else writeFileSync(readmePath, patched);
    }
  }
  const extra = existsSync(outDir)
    ? readdirSync(outDir).filter((f) => !files.has(f) && /\.(mmd|json)$/.test(f))
    : [];
  if (check) {
    if (stale.length || extra.length) {
      err(
        `diagrams are stale: ${[...stale, ...extra.map((e) => `${e} (no such machine)`)].join(', ')} — run \`npm run diagrams\``,
      );
      return 1;
    }
    out(`diagrams up to date (${files.size} files)`);
  } else {
    out(`wrote ${files.size} files to diagrams/`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await diagramsCommand(process.argv.slice(2));
}
