import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

export default defineConfig(sharedTestConfig('tlib-bridge-demo', { testTimeout: 90_000 }));
