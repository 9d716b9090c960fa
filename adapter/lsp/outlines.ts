// Source files and function line ranges of the recorded modules, asked of the agent (through the
// runtime's module catalog) once per module as the recording first mentions it, and indexed by file.
import * as path from 'path';
import type { ModuleDescriber, ModuleDescription } from './types';

export interface OutlineFunction {
  module: string;
  name: string;
  arity: number;
  /** 1-based first head line. */
  line: number;
  /** 1-based last line (inclusive); from FunctionInfo.last_line, else up to the next function. */
  lastLine: number;
}

export interface ModuleOutline {
  module: string;
  source: string;
  /** Sorted by line. */
  functions: OutlineFunction[];
}

const RETRY_MS = 3000;

export class ModuleOutlines {
  private readonly byModule = new Map<string, ModuleOutline>();
  private readonly asked = new Map<string, number>();
  private readonly byFile = new Map<string, ModuleOutline[]>();

  constructor(private readonly describer: () => ModuleDescriber, private readonly onChange: () => void = () => undefined) {}

  /** Asks for `module` unless known or recently asked. */
  request(module: string): void {
    if (this.byModule.has(module)) return;
    const at = this.asked.get(module);
    if (at !== undefined && (at === Infinity || Date.now() - at < RETRY_MS)) return;
    this.asked.set(module, Date.now());
    this.describer()
      .describe(module)
      .then(
        (d) => {
          if (!d?.source) return; // node gone, module not loaded or without debug info: asked again later
          this.asked.set(module, Infinity);
          this.add(toOutline(d));
        },
        () => undefined,
      );
  }

  /** Outlines of the recorded modules defined in `file`. */
  forFile(file: string): ModuleOutline[] {
    return this.byFile.get(normalize(file)) ?? [];
  }

  module(module: string): ModuleOutline | undefined {
    return this.byModule.get(module);
  }

  /** Functions of `file` whose lines contain `line` (1-based), innermost first. */
  enclosing(file: string, line: number): OutlineFunction[] {
    const out: OutlineFunction[] = [];
    for (const o of this.forFile(file)) for (const f of o.functions) if (f.line <= line && line <= f.lastLine && !/^__.*__$/.test(f.name)) out.push(f);
    return out.sort((a, b) => b.line - a.line || a.lastLine - b.lastLine);
  }

  private add(o: ModuleOutline): void {
    this.byModule.set(o.module, o);
    const key = normalize(o.source);
    const list = this.byFile.get(key) ?? [];
    list.push(o);
    this.byFile.set(key, list);
    this.onChange();
  }
}

export function toOutline(d: ModuleDescription): ModuleOutline {
  const functions: OutlineFunction[] = [];
  for (const [k, line] of d.functionLines) {
    const slash = k.lastIndexOf('/');
    if (line <= 0) continue;
    functions.push({ module: d.module, name: k.slice(0, slash), arity: Number(k.slice(slash + 1)), line, lastLine: d.functionLastLines?.get(k) ?? 0 });
  }
  functions.sort((a, b) => a.line - b.line);
  // Without last lines: a function ends where the next (named) one begins.
  for (let i = 0; i < functions.length; i++) {
    const f = functions[i];
    if (f.lastLine >= f.line) continue;
    let next = Infinity;
    for (let j = i + 1; j < functions.length; j++) {
      if (functions[j].line > f.line && !functions[j].name.startsWith('-')) {
        next = functions[j].line - 1;
        break;
      }
    }
    f.lastLine = next;
  }
  return { module: d.module, source: d.source, functions };
}

export function normalize(file: string): string {
  return path.resolve(file);
}
