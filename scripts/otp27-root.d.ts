// Types of scripts/otp27-root.js for the TypeScript that uses it (tests, bench).
export declare const root: string;
export declare function unavailable(): string | undefined;
export declare function stage(prefix: string, copies: [string, string?][]): { name: string; real: string; inside: string; dispose(): void };
export declare function run(script: string, opts?: { home?: string; timeoutMs?: number }): { status: number | null; stdout: string; stderr: string };
