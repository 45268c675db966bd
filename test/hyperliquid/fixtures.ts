/** Paths and loaders for the shared Hyperliquid fixtures (../shared beside the repo). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/hyperliquid/', import.meta.url));

export function fixtureText(rel: string): string {
  return readFileSync(`${FIXTURES_DIR}${rel}`, 'utf8');
}
export function fixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(fixtureText(rel)) as T;
}
export function fixtureFiles(dir: string): string[] {
  return readdirSync(`${FIXTURES_DIR}${dir}`).sort();
}
