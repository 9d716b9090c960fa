#!/usr/bin/env node
// Compiles the Erlang agent (erlang/src/*.erl, warnings as errors) into erlang/ebin.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'erlang', 'src');
const ebin = path.join(root, 'erlang', 'ebin');
fs.mkdirSync(ebin, { recursive: true });
const files = fs.readdirSync(src).filter((f) => f.endsWith('.erl')).map((f) => path.join(src, f));
for (const stale of fs.readdirSync(ebin).filter((f) => f.endsWith('.beam'))) {
  if (!files.some((f) => path.basename(f, '.erl') === path.basename(stale, '.beam'))) fs.unlinkSync(path.join(ebin, stale));
}
execFileSync('erlc', ['-Werror', '+debug_info', '-I', src, '-o', ebin, ...files], { stdio: 'inherit' });
// Test modules compile separately so that they never ship in the agent's ebin.
const testSrc = path.join(root, 'erlang', 'test');
const testOut = path.join(root, 'erlang', 'test-ebin');
const tests = fs.existsSync(testSrc) ? fs.readdirSync(testSrc).filter((f) => f.endsWith('.erl')).map((f) => path.join(testSrc, f)) : [];
if (tests.length > 0) {
  fs.mkdirSync(testOut, { recursive: true });
  execFileSync('erlc', ['+debug_info', '-I', src, '-pa', ebin, '-o', testOut, ...tests], { stdio: 'inherit' });
}
