import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, SdkError } from '@sip-endpoint/base';
import type { NativeBinding } from './native';

let binding: NativeBinding | undefined;

/**
 * Loads the addon once (`build/Release/sip_media.node`, built by `nx run media-native:build-native`).
 * Throws `SdkError(NATIVE_ENGINE)` saying how to build it when it is missing.
 */
export function loadNative(): NativeBinding {
  if (binding) return binding;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'build', 'Release', 'sip_media.node'), join(here, '..', '..', 'build', 'Release', 'sip_media.node')];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new SdkError(ErrorCode.NativeEngine, `the media engine addon is not built (looked for ${candidates.join(', ')}); run: npx nx run media-native:build-native`);
  }
  try {
    binding = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (e) {
    throw new SdkError(ErrorCode.NativeEngine, `the media engine addon failed to load from ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return binding;
}
