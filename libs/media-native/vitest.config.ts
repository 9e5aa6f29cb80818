import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

export default defineConfig(sharedTestConfig('media-native', { testTimeout: 30_000 }));
