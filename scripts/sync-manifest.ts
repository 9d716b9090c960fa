#!/usr/bin/env -S npx tsx
// Writes the generated parts of package.json's `contributes` (launch/attach attributes, initial
// configurations, snippets, settings) from their TypeScript definitions; `--check` fails when stale.
// Run: npx tsx scripts/sync-manifest.ts [--check]
import * as fs from 'fs';
import * as path from 'path';
import { attachSchema, DEBUG_TYPE, launchSchema } from '../adapter/config/launchSchema';
import { configurationSnippets, initialConfigurations } from '../extension/launchTemplates';
import { configurationContribution } from '../extension/settingsSchema';

export const PACKAGE_JSON = path.resolve(__dirname, '..', 'package.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Plain JSON copy: drops `readonly`/`as const` typing and any undefined values. */
function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Each generated value, addressed by its path below package.json's root. */
export function generatedParts(): { path: string[]; value: Json }[] {
  const debuggerPath = ['contributes', 'debuggers', '0'];
  return [
    { path: [...debuggerPath, 'configurationAttributes'], value: toJson({ launch: launchSchema, attach: attachSchema }) },
    { path: [...debuggerPath, 'initialConfigurations'], value: toJson(initialConfigurations) },
    { path: [...debuggerPath, 'configurationSnippets'], value: toJson(configurationSnippets) },
    { path: ['contributes', 'configuration'], value: toJson(configurationContribution) },
  ];
}

function getAt(root: Json, at: string[]): Json | undefined {
  let node: Json | undefined = root;
  for (const key of at) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(key)] : node[key];
  }
  return node;
}

function setAt(root: JsonObject, at: string[], value: Json): void {
  let node: Json = root;
  for (const key of at.slice(0, -1)) {
    const container = node as JsonObject;
    if (container[key] === undefined || container[key] === null || typeof container[key] !== 'object') {
      throw new Error(`package.json has no ${at.join('.')} container at "${key}"; add the debugger contribution by hand first.`);
    }
    node = container[key];
  }
  (node as JsonObject)[at[at.length - 1]] = value;
}

/** Paths (dotted) whose package.json content differs from the generated value. */
export function staleParts(pkg: JsonObject): string[] {
  return generatedParts()
    .filter(({ path: at, value }) => JSON.stringify(getAt(pkg, at)) !== JSON.stringify(value))
    .map(({ path: at }) => at.join('.'));
}

/** Returns package.json with the generated parts replaced, keeping every other key and its order. */
export function syncManifest(pkg: JsonObject): JsonObject {
  const copy = toJson(pkg) as JsonObject;
  const debuggers = getAt(copy, ['contributes', 'debuggers']);
  const first = Array.isArray(debuggers) ? debuggers[0] : undefined;
  if (!first || typeof first !== 'object' || Array.isArray(first) || first.type !== DEBUG_TYPE) {
    throw new Error(`package.json: contributes.debuggers[0] must be the "${DEBUG_TYPE}" debugger.`);
  }
  for (const { path: at, value } of generatedParts()) setAt(copy, at, value);
  return copy;
}

function main(argv: string[]): number {
  const pkg = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as JsonObject;
  const stale = staleParts(pkg);
  if (argv.includes('--check')) {
    if (stale.length === 0) {
      console.log('package.json is in sync with adapter/config and extension/ definitions.');
      return 0;
    }
    console.error(`package.json is out of date in: ${stale.join(', ')}.\nRun: npm run sync-manifest`);
    return 1;
  }
  if (stale.length === 0) {
    console.log('package.json already up to date.');
    return 0;
  }
  fs.writeFileSync(PACKAGE_JSON, JSON.stringify(syncManifest(pkg), null, 2) + '\n');
  console.log(`package.json updated: ${stale.join(', ')}.`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
