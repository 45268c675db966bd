/**
 * What `runtime query` prints: DuckDB's values as JSON values (big integers beyond 2^53 kept as text,
 * decimals as numbers), a plain table, and CSV that DuckDB itself reads back cell for cell (property: any
 * text, commas, quotes and line breaks included).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCsv, formatJson, formatTable, QueryError, queryParquet } from '../../research/query.ts';
import { tempDir } from '../journal/helpers.ts';

const t = tempDir('query-format');
afterAll(() => t.cleanup());

describe('query values', () => {
  it('integers, decimals, timestamps, lists and structs as JSON values', async () => {
    const empty = join(t.dir, 'none');
    mkdirSync(empty);
    const r = await queryParquet(
      empty,
      `SELECT 42::INTEGER AS i, 9007199254740993::BIGINT AS big, 1.5 AS d, 2.25::DOUBLE AS f,
         to_timestamp(1.7e9) AS ts, [1, 2] AS l, {'a': 1} AS s, NULL AS n, 'x' AS v`,
    );
    expect(r.columns).toEqual(['i', 'big', 'd', 'f', 'ts', 'l', 's', 'n', 'v']);
    expect(r.types.slice(0, 3)).toEqual(['INTEGER', 'BIGINT', 'DECIMAL(2,1)']);
    expect(r.rows).toEqual([
      [42, '9007199254740993', 1.5, 2.25, '2023-11-14 22:13:20+00', [1, 2], { a: 1 }, null, 'x'],
    ]);
    expect(JSON.parse(formatJson(r.columns, r.rows))).toEqual([
      {
        i: 42,
        big: '9007199254740993',
        d: 1.5,
        f: 2.25,
        ts: '2023-11-14 22:13:20+00',
        l: [1, 2],
        s: { a: 1 },
        n: null,
        v: 'x',
      },
    ]);
  });

  it('a SQL error is a QueryError with DuckDB’s message', async () => {
    await expect(queryParquet(join(t.dir, 'none'), 'SELECT * FROM fills')).rejects.toThrow(QueryError);
    await expect(queryParquet(join(t.dir, 'none'), 'SELECT 1 +')).rejects.toThrow(/Parser Error/);
  });

  it('a table: header, rule, numbers right-aligned, long cells cut, the row count', () => {
    expect(
      formatTable(
        ['coin', 'px'],
        [
          ['BTC', 50000.5],
          ['ETH', 3000],
        ],
      ),
    ).toBe(['coin       px', '----  -------', 'BTC   50000.5', 'ETH      3000', '(2 rows)'].join('\n'));
    const long = formatTable(['j'], [['x'.repeat(100)]], 10).split('\n');
    expect(long[2]).toBe(`${'x'.repeat(9)}…`);
    expect(formatTable(['n'], [])).toBe('n\n-\n(0 rows)');
  });
});

describe('CSV', () => {
  it('DuckDB reads back what formatCsv writes, cell for cell (property)', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    // text with the characters CSV must quote, never empty (an empty cell reads back as NULL)
    const cell = fc
      .array(fc.constantFrom('a', 'Z', '9', ' ', ',', '"', '\n', '\r\n', 'é', '€', ';', "'"), {
        minLength: 1,
        maxLength: 8,
      })
      .map((cs) => cs.join(''))
      .filter((s) => s.trim() !== '');
    let runs = 0;
    let quoted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 6 }), async (rows) => {
        runs++;
        const text = formatCsv(['a', 'b'], rows);
        if (/"/.test(text)) quoted++;
        const f = join(t.dir, `p${runs}.csv`);
        writeFileSync(f, `${text}\n`);
        const r = await c.runAndReadAll(
          `SELECT a, b FROM read_csv('${f}', header = true, all_varchar = true, quote = '"', escape = '"',
             delim = ',', strict_mode = false, columns = {'a': 'VARCHAR', 'b': 'VARCHAR'})`,
        );
        expect(r.getRowsJson()).toEqual(rows);
      }),
      { numRuns: 60, seed: 19 },
    );
    c.closeSync();
    inst.closeSync();
    console.log(JSON.stringify({ property: 'formatCsv read back by DuckDB', runs, quoted }));
    expect(runs).toBe(60);
    expect(quoted).toBeGreaterThan(30);
  });
});
