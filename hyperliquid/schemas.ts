/** All venue schemas and their inferred types, in one import. */
export * from './common-schemas.ts';
export * from './decimal.ts';
export * from './info-schemas.ts';
export * from './ws-schemas.ts';
