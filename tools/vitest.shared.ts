import type { ViteUserConfig } from 'vitest/config';

/**
 * The test settings every library shares: sources resolved through the
 * `@sip-endpoint/source` export condition, a JSON report per project under `reports/`
 * (summed by tools/test-all.sh into the closing `N passed, N failed` line).
 */
export function sharedTestConfig(project: string, extra: { testTimeout?: number; include?: string[] } = {}): ViteUserConfig {
  return {
    resolve: { conditions: ['@sip-endpoint/source'] },
    ssr: { resolve: { conditions: ['@sip-endpoint/source'] } },
    test: {
      include: extra.include ?? ['test/**/*.test.ts', 'src/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 10_000,
      reporters: ['default', ['json', { outputFile: `../../reports/${project}.json` }]],
      pool: 'forks',
    },
  };
}
