/**
 * Venue protocol hot paths:
 *  - sign.order: build an order action (rounding + wire) + actionHash (msgpack + keccak) + EIP-712
 *    sign, µs per signed order;
 *  - parse.l2Book: parseServerFrame on the real 20×20 l2Book fixture (the hot channels are validated
 *    in place, hyperliquid/hot-validate.ts), µs per frame, with JSON.parse alone on the same frame as
 *    baseline; parse.l2Book.zod: the same frame through the zod schema (the schema of record, and the
 *    path every other channel takes), same baseline.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseServerFrame, parseWith } from '../hyperliquid/parse.ts';
import { WsBook } from '../hyperliquid/ws-schemas.ts';
import { roundPrice, roundSize } from '../hyperliquid/rounding.ts';
import { signL1Action } from '../hyperliquid/signing.ts';
import { orderAction } from '../hyperliquid/wire.ts';
import { type BenchFigure, figure, timePerCall, withBaseline } from './lib.ts';

const KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';
const BOOK = readFileSync(
  fileURLToPath(
    new URL('../../shared/fixtures/hyperliquid/ws/l2Book_BTC_1751427259657.json', import.meta.url),
  ),
  'utf8',
);

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = quick ? 5 : 9;
  let nonce = 1_751_427_259_657;
  let sink = 0;

  const signOne = (): void => {
    nonce++;
    const px = roundPrice(106217.37 + (nonce % 50), 5, { mode: 'floor' });
    const sz = roundSize(0.0123456, 5);
    const action = orderAction([
      { asset: 0, isBuy: true, px, sz, reduceOnly: false, type: { limit: { tif: 'Alo' } } },
    ]);
    const sig = signL1Action({ privateKey: KEY, action, nonce, isMainnet: true });
    sink += sig.v;
  };
  const signIters = quick ? 200 : 1000;
  for (let i = 0; i < 100; i++) signOne(); // warm-up
  const sign = timePerCall(signOne, signIters, runs);

  const parseIters = quick ? 2000 : 10000;
  const parseOne = (): void => {
    const r = parseServerFrame(BOOK);
    if (r.ok) sink++;
  };
  const zodOne = (): void => {
    const o = JSON.parse(BOOK) as { data: unknown };
    if (parseWith(WsBook, o.data, 'l2Book').ok) sink++;
  };
  const jsonOne = (): void => {
    const o = JSON.parse(BOOK) as { channel: string };
    if (o.channel === 'l2Book') sink++;
  };
  for (let i = 0; i < 2000; i++) {
    parseOne();
    zodOne();
    jsonOne();
  }
  const parse = timePerCall(parseOne, parseIters, runs);
  const zod = timePerCall(zodOne, parseIters, runs);
  const json = timePerCall(jsonOne, parseIters, runs);
  if (sink < 0) console.error('unreachable');

  const us = (xs: number[]) => xs.map((ns) => ns / 1000);
  return [
    figure('sign.order', 'us', us(sign.perRun), { iterations: signIters }),
    withBaseline(
      figure('parse.l2Book', 'us', us(parse.perRun), { iterations: parseIters, frameBytes: BOOK.length }),
      figure('json.parse.l2Book', 'us', us(json.perRun), { iterations: parseIters }),
    ),
    withBaseline(
      figure('parse.l2Book.zod', 'us', us(zod.perRun), { iterations: parseIters, frameBytes: BOOK.length }),
      figure('json.parse.l2Book', 'us', us(json.perRun), { iterations: parseIters }),
    ),
  ];
};
