/** The simulator's public surface. */
export type { SimClock } from './clock.ts';
export { runSimCommand, type SimCommandArgs } from './cli.ts';
export {
  type CascadeEvent,
  classify,
  COIN_DEFS,
  DEFAULT_COINS,
  Engine,
  type EngineOptions,
  type GroundTruth,
  type GroundTruthLabel,
  groundTruthToJsonl,
  type Regime,
  SIM_EPOCH,
  strategyEventLine,
} from './engine.ts';
export {
  EVENT_STRATEGY,
  type EntryMatch,
  type EventSide,
  eventAt,
  isInside,
  matchEntries,
  STRATEGY_EVENT_KINDS,
  STRATEGY_EVENT_OUTCOMES,
  type StrategyEvent,
  type StrategyEventKind,
  StrategyEventLineSchema,
  type StrategyEventOutcome,
  StrategyEventSchema,
  type StrategyName,
} from './events.ts';
export { type FaultChannel, Faults } from './faults.ts';
export {
  ALL_CHANNELS,
  generate,
  type GenerateOptions,
  generatorSubscriptions,
  type MarketChannel,
  strategyEventsOf,
  type StrategyEventsOptions,
} from './generate.ts';
export {
  type NodeBookServer,
  type NodeBookServerOptions,
  type NodeBookServerStats,
  OBS_NOT_READY,
  startNodeBookServer,
} from './node/book-server.ts';
export { NODE_FAULT_KINDS, type NodeFaultKind, type NodeFaultRecord, NodeFaults } from './node/faults.ts';
export { type NodeFilesStats, NodeFileWriter } from './node/files.ts';
export { hourlyRelPath, NODE_STREAMS, type NodeStream } from './node/format.ts';
export { NodeSim, type NodeSimOptions, startNodeSim } from './node/node-sim.ts';
export { type NodeBlock, type NodeBookOrder, OrderModel, type OrderModelStats } from './node/orders.ts';
export { getScenario, SCENARIOS, scenarioDurationMs, scenarioNames } from './scenarios.ts';
export { type SimServer, type SimServerOptions, type SimSpeed, type SimStats, startSim } from './server.ts';
