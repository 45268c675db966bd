import { describe, expect, it } from 'vitest';
import { actionHash } from '../../hyperliquid/signing.ts';
import {
  batchModifyAction,
  cancelAction,
  cancelByCloidAction,
  exchangeBody,
  modifyAction,
  orderAction,
  orderWire,
  scheduleCancelAction,
  updateLeverageAction,
  usdSendAction,
} from '../../hyperliquid/wire.ts';
import { packPython } from '../../hyperliquid/msgpack.ts';
import { fixtureJson } from './fixtures.ts';

interface L1Vector {
  test: string;
  action: unknown;
  connectionId: string;
  msgpackHex: string;
}
const V = fixtureJson<{
  l1Actions: L1Vector[];
  phantomAgentConnectionId: { action: unknown; expectedConnectionId: string };
}>('signing/python_sdk_vectors.json');
const vector = (name: string) => V.l1Actions.find((v) => v.test === name)!;
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('builders reproduce the Python vectors byte for byte', () => {
  it('limit order (Gtc, numbers in)', () => {
    const a = orderAction([
      { asset: 1, isBuy: true, px: 100, sz: 100, reduceOnly: false, type: { limit: { tif: 'Gtc' } } },
    ]);
    const v = vector('test_l1_action_signing_order_matches');
    expect(JSON.stringify(a)).toBe(JSON.stringify(v.action));
    expect(hex(packPython(a as never))).toBe(v.msgpackHex);
    expect(actionHash(a, 0)).toBe(v.connectionId);
  });
  it('order with cloid: c comes last', () => {
    const a = orderAction([
      {
        asset: 1,
        isBuy: true,
        px: '100.0',
        sz: '100',
        reduceOnly: false,
        type: { limit: { tif: 'Gtc' } },
        cloid: '0x00000000000000000000000000000001',
      },
    ]);
    const v = vector('test_l1_action_signing_order_with_cloid_matches');
    expect(JSON.stringify(a)).toBe(JSON.stringify(v.action));
    expect(actionHash(a, 0)).toBe(v.connectionId);
  });
  it('trigger (tpsl) order: isMarket, triggerPx, tpsl', () => {
    const a = orderAction([
      {
        asset: 1,
        isBuy: true,
        px: 100,
        sz: 100,
        reduceOnly: false,
        type: { trigger: { isMarket: true, triggerPx: 103, tpsl: 'sl' } },
      },
    ]);
    const v = vector('test_l1_action_signing_tpsl_order_matches');
    expect(JSON.stringify(a)).toBe(JSON.stringify(v.action));
    expect(actionHash(a, 0)).toBe(v.connectionId);
  });
  it('the production phantom-agent order (floats 0.0147 / 1670.1, Ioc)', () => {
    const a = orderAction([
      { asset: 4, isBuy: true, px: 1670.1, sz: 0.0147, reduceOnly: false, type: { limit: { tif: 'Ioc' } } },
    ]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(V.phantomAgentConnectionId.action));
    expect(actionHash(a, 1677777606040)).toBe(V.phantomAgentConnectionId.expectedConnectionId);
  });
  it('scheduleCancel with and without time', () => {
    expect(actionHash(scheduleCancelAction(), 0)).toBe(
      vector('test_schedule_cancel_action (no time)').connectionId,
    );
    expect(actionHash(scheduleCancelAction(123456789), 0)).toBe(
      vector('test_schedule_cancel_action (time 123456789)').connectionId,
    );
  });
});

describe('exact wire key order and omitted flags', () => {
  const order = {
    asset: 0,
    isBuy: false,
    px: '30000',
    sz: '0.1',
    reduceOnly: true,
    type: { limit: { tif: 'Alo' as const } },
  };

  it('order wire keys a,b,p,s,r,t (c only when present); top level type,orders,grouping,(builder)', () => {
    expect(Object.keys(orderWire(order))).toEqual(['a', 'b', 'p', 's', 'r', 't']);
    expect(Object.keys(orderWire({ ...order, cloid: '0x0000000000000000000000000000ABCD' }))).toEqual([
      'a',
      'b',
      'p',
      's',
      'r',
      't',
      'c',
    ]);
    expect(orderWire({ ...order, cloid: '0x0000000000000000000000000000ABCD' }).c).toBe(
      '0x0000000000000000000000000000abcd',
    );
    const withBuilder = orderAction([order], 'normalTpsl', {
      address: '0xABCDEF0000000000000000000000000000000001',
      feeTenthsBp: 10,
    });
    expect(JSON.stringify(withBuilder)).toBe(
      '{"type":"order","orders":[{"a":0,"b":false,"p":"30000","s":"0.1","r":true,"t":{"limit":{"tif":"Alo"}}}],' +
        '"grouping":"normalTpsl","builder":{"b":"0xabcdef0000000000000000000000000000000001","f":10}}',
    );
    expect(Object.keys(orderAction([order]))).toEqual(['type', 'orders', 'grouping']);
  });

  it('cancel: {a,o}; f only when fast (a hash with f:false would be rejected)', () => {
    expect(JSON.stringify(cancelAction([{ asset: 1, oid: 82382 }]))).toBe(
      '{"type":"cancel","cancels":[{"a":1,"o":82382}]}',
    );
    expect(JSON.stringify(cancelAction([{ asset: 1, oid: 82382 }], true))).toBe(
      '{"type":"cancel","cancels":[{"a":1,"o":82382}],"f":true}',
    );
    expect('f' in cancelAction([{ asset: 1, oid: 1 }], false)).toBe(false);
    // real-size oids (> 2^32) hash as uint64
    expect(hex(packPython(cancelAction([{ asset: 1, oid: 141682155424 }]) as never))).toContain(
      'a16fcf00000020fcea1fa0',
    );
  });

  it('cancelByCloid: {asset, cloid}', () => {
    expect(
      JSON.stringify(cancelByCloidAction([{ asset: 3, cloid: '0x00000000000000000000000000000001' }])),
    ).toBe('{"type":"cancelByCloid","cancels":[{"asset":3,"cloid":"0x00000000000000000000000000000001"}]}');
  });

  it('modify / batchModify: a only when alwaysPlace', () => {
    const m = modifyAction(77, order);
    expect(Object.keys(m)).toEqual(['type', 'oid', 'order']);
    expect(Object.keys(modifyAction(77, order, true))).toEqual(['type', 'oid', 'order', 'a']);
    expect(modifyAction('0x00000000000000000000000000000009', order).oid).toBe(
      '0x00000000000000000000000000000009',
    );
    const b = batchModifyAction([{ oid: 1, order }]);
    expect(JSON.stringify(b)).toBe(
      '{"type":"batchModify","modifies":[{"oid":1,"order":{"a":0,"b":false,"p":"30000","s":"0.1","r":true,"t":{"limit":{"tif":"Alo"}}}}]}',
    );
    expect(Object.keys(batchModifyAction([{ oid: 1, order }], true))).toEqual(['type', 'modifies', 'a']);
  });

  it('updateLeverage key order', () => {
    expect(JSON.stringify(updateLeverageAction(2, true, 10))).toBe(
      '{"type":"updateLeverage","asset":2,"isCross":true,"leverage":10}',
    );
  });

  it('prices and sizes: no trailing zeros, no exponent; bad inputs rejected', () => {
    expect(orderWire({ ...order, px: '106217.0', sz: '0.00100' })).toMatchObject({ p: '106217', s: '0.001' });
    expect(orderWire({ ...order, px: 1e-7, sz: 1e-8 })).toMatchObject({ p: '0.0000001', s: '0.00000001' });
    expect(() => orderWire({ ...order, px: '1e5' })).toThrow(/plain decimal/);
    expect(() => orderWire({ ...order, px: 1e-9 })).toThrow(/8 decimals/);
    expect(() => orderWire({ ...order, sz: -1 })).toThrow(/negative/);
    expect(() => orderWire({ ...order, asset: -1 })).toThrow(/asset/);
    expect(() => orderWire({ ...order, cloid: '0x1' })).toThrow(/cloid/);
    expect(() => cancelAction([{ asset: 1, oid: 1.5 }])).toThrow(/oid/);
  });

  it('exchange body: vaultAddress/expiresAfter null when absent', () => {
    const body = exchangeBody({
      action: scheduleCancelAction(),
      nonce: 5,
      signature: { r: '0x1', s: '0x2', v: 27 },
    });
    expect(JSON.stringify(body)).toBe(
      '{"action":{"type":"scheduleCancel"},"nonce":5,"signature":{"r":"0x1","s":"0x2","v":27},"vaultAddress":null,"expiresAfter":null}',
    );
  });

  it('usdSend: lowercased destination, wire amount, chain', () => {
    expect(
      usdSendAction({
        destination: '0x5E9EE1089755C3435139848E47E6635505D5A13A',
        amount: 1,
        time: 1687816341423,
        isMainnet: false,
      }),
    ).toEqual({
      type: 'usdSend',
      signatureChainId: '0x66eee',
      hyperliquidChain: 'Testnet',
      destination: '0x5e9ee1089755c3435139848e47e6635505d5a13a',
      amount: '1',
      time: 1687816341423,
    });
  });
});
