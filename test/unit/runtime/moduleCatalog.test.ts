// ModuleCatalog: one batched DescribeModules per burst, answers with a source kept for the session,
// answers without one (a module not loaded yet) asked again after RETRY_MS (stub agent; unit test only).
import * as assert from 'assert';
import type { AgentConnection } from '../../../adapter/runtime/agentConnection';
import { ModuleCatalog, RETRY_MS } from '../../../adapter/runtime/moduleCatalog';

/** An agent whose DescribeModules answers come from `answer` (module → source, '' = not loaded), counting requests. */
function stubAgent(answer: (m: string) => string): { agent: AgentConnection; asked: string[][] } {
  const asked: string[][] = [];
  const agent = {
    isOpen: true,
    request: async (cmd: { describeModules: { modules: string[] } }) => {
      asked.push(cmd.describeModules.modules);
      return {
        modules: {
          modules: cmd.describeModules.modules.map((m) => {
            const source = answer(m);
            return source ? { module: m, source, language: 'elixir', functions: [{ name: 'f', arity: 1, line: 3, lastLine: 5 }] } : { module: m, error: `${m} is not loaded` };
          }),
        },
      };
    },
  } as unknown as AgentConnection;
  return { agent, asked };
}

describe('ModuleCatalog', () => {
  it('asks once per burst and keeps answers with a source', async () => {
    const { agent, asked } = stubAgent((m) => `/p/${m}.ex`);
    const catalog = new ModuleCatalog(() => agent);
    const [a, b] = await Promise.all([catalog.describe('Elixir.A'), catalog.describe('Elixir.B')]);
    assert.strictEqual(a?.source, '/p/Elixir.A.ex');
    assert.strictEqual(b?.functionLines.get('f/1'), 3);
    assert.deepStrictEqual(asked, [['Elixir.A', 'Elixir.B']]);
    await catalog.describe('Elixir.A');
    assert.strictEqual(asked.length, 1, 'a known module is not asked again');
  });

  it('asks again about a module that had no source, once RETRY_MS passed (it may have been loaded since)', async () => {
    let loaded = false;
    let now = 1000;
    const { agent, asked } = stubAgent((m) => (loaded ? `/p/test/${m}.exs` : ''));
    const catalog = new ModuleCatalog(() => agent, () => now);
    const first = await catalog.describe('Elixir.T');
    assert.strictEqual(first?.source, '');
    assert.match(first?.error ?? '', /not loaded/);
    loaded = true;
    assert.strictEqual((await catalog.describe('Elixir.T'))?.source, '', 'within RETRY_MS: the kept answer');
    assert.strictEqual(asked.length, 1);
    now += RETRY_MS;
    assert.strictEqual((await catalog.describe('Elixir.T'))?.source, '/p/test/Elixir.T.exs');
    assert.strictEqual(asked.length, 2);
    now += RETRY_MS;
    await catalog.describe('Elixir.T');
    assert.strictEqual(asked.length, 2, 'an answer with a source is kept');
  });
});
