// ESLint flat config: typescript-eslint's recommended rules, plus the layering rules of the
// architecture (docs/architecture.md): only extension/ talks to VS Code; the runtime model, configuration and
// protocol modules stay free of VS Code and DAP so the standalone adapter and webviews can use them.
// Inside adapter/, from the bottom up (each may import the ones below it, never those above):
//   gen/, protocol/   generated codecs; the custom DAP messages and webview data model
//   terms/            Elixir terms: formatting, paths, expressions, term views (imports only gen/ and protocol/)
//   store/            the recording and the navigator (never runtime/, dap/, lsp/ or webview/)
//   webview/, lsp/    the webviews' data and the recording language server, over store/ and terms/: DAP-free,
//                     never dap/; lsp/ uses of runtime/ only its neutral helpers (log, pre-authentication,
//                     framing, breakpoint results), webview/ only the DebugTarget seam (runtime/runtime.ts)
//   runtime/          the node, the agent connection and the DebugTarget they make
//   dap/              DAP translation only: talks to a DebugTarget, never to the live runtime
import json from '@eslint/json';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const VSCODE = { name: 'vscode', message: 'Only extension/** may import vscode (the adapter and webviews run outside VS Code).' };
const DAP = ['@vscode/debugadapter', '@vscode/debugprotocol'].map((name) => ({
  name,
  message: 'This layer is DAP-free: translate to/from DAP in the adapter\'s DAP layer, not here.',
}));
const NOT_UPWARD = {
  regex: String.raw`^(\.\.?/)+(.*/)?(extension|webviews)(/|$)`,
  message: 'The adapter must not import the extension or the webviews (layers import downward only).',
};
const LIVE_RUNTIME = {
  regex: String.raw`^(\.\.?/)+(.*/)?runtime/(debugRuntime|nodeProcess|agentServer|agentConnection|attachHelper)$`,
  message: 'The DAP layer talks to a DebugTarget (adapter/runtime/runtime.ts); adapter/main.ts injects the live runtime.',
};
const TERMS_BOTTOM = {
  regex: String.raw`^\.\./(?!(gen|protocol)/|\.\./)`,
  message: 'terms/ is the bottom layer: it imports only adapter/gen and adapter/protocol of the adapter.',
};
const STORE_BELOW = {
  regex: String.raw`^(\.\.?/)+(.*/)?(runtime|dap|lsp|webview)(/|$)`,
  message: 'The store is the runtime model others build on: it must not import runtime/, dap/, lsp/ or webview/.',
};
const NOT_DAP_LAYER = {
  regex: String.raw`^(\.\.?/)+(.*/)?dap(/|$)`,
  message: 'The DAP layer translates for this layer, not the other way round: do not import adapter/dap.',
};
const NOT_LSP = {
  regex: String.raw`^(\.\.?/)+(.*/)?lsp(/|$)`,
  message: 'The webviews\' data does not depend on the language server: do not import adapter/lsp.',
};
const LSP_RUNTIME = {
  regex: String.raw`^(\.\.?/)+(.*/)?runtime/(?!(log|preAuth|framing|contentLengthFraming|breakpointBook)$)`,
  message: 'lsp/ reads a recording (RecordingSource in lsp/types.ts); of runtime/ it uses only log, preAuth, framing, contentLengthFraming and breakpointBook.',
};
const WEBVIEW_ADAPTER = {
  regex: String.raw`^(\.\.?/)+(.*/)?adapter/(?!protocol/)`,
  message: 'Webviews may only import adapter/protocol/** (the custom DAP messages), nothing else of the adapter.',
};

/** One no-restricted-imports setting; flat config replaces (not merges) a rule per file, so each block lists everything. */
const CODE = '*.{ts,mts,cts,js,mjs,cjs}';
const code = (...dirs) => dirs.map((d) => `${d}/**/${CODE}`);

const restrict = (paths, patterns = []) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default defineConfig(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'adapter/gen/**', 'examples/**', '.vscode-test/**', 'test-artifacts/**'] },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // JSON the extension ships (grammar, language configuration): duplicate or empty keys are bugs VS Code ignores silently.
  {
    files: ['syntaxes/**/*.json', 'language-configuration.json'],
    language: 'json/json',
    plugins: { json },
    extends: [json.configs.recommended],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly', process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
  // Layering. Later blocks win for their files, so the most specific paths come last.
  { files: [`**/${CODE}`], ignores: ['extension/**'], rules: restrict([VSCODE]) },
  { files: code('adapter'), rules: restrict([VSCODE], [NOT_UPWARD]) },
  { files: code('adapter/dap'), rules: restrict([VSCODE], [NOT_UPWARD, LIVE_RUNTIME]) },
  {
    files: code('adapter/runtime', 'adapter/config', 'adapter/protocol'),
    rules: restrict([VSCODE, ...DAP], [NOT_UPWARD]),
  },
  { files: code('adapter/terms'), rules: restrict([VSCODE, ...DAP], [NOT_UPWARD, TERMS_BOTTOM]) },
  { files: code('adapter/store'), rules: restrict([VSCODE, ...DAP], [NOT_UPWARD, STORE_BELOW]) },
  { files: code('adapter/lsp'), rules: restrict([VSCODE, ...DAP], [NOT_UPWARD, NOT_DAP_LAYER, LSP_RUNTIME]) },
  { files: code('adapter/webview'), rules: restrict([VSCODE, ...DAP], [NOT_UPWARD, NOT_DAP_LAYER, NOT_LSP, LIVE_RUNTIME]) },
  { files: code('webviews'), rules: restrict([VSCODE, ...DAP], [WEBVIEW_ADAPTER]) },
);
