// Lint: typescript-eslint on every library, Nx module boundaries between projects
// (ARCHITECTURE.md: base <- config <- signaling, media-native <- endpoint <- apps, features),
// and inside @sip-endpoint/signaling the RFC layer order.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Signaling layers, lowest first; a layer may import only layers listed before it. */
const SIGNALING_LAYERS = ['message', 'transport', 'dns', 'auth', 'sdp', 'transaction', 'dialog', 'ua'];
const ALLOWED_BELOW = {
  message: [],
  dns: [],
  sdp: [],
  auth: ['message'],
  transport: ['message', 'dns'],
  transaction: ['message', 'transport'],
  dialog: ['message', 'transport', 'transaction'],
  ua: ['message', 'transport', 'dns', 'auth', 'sdp', 'transaction', 'dialog'],
};

const layerRules = SIGNALING_LAYERS.map((layer) => ({
  files: [`libs/signaling/src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: SIGNALING_LAYERS.filter((l) => l !== layer && !ALLOWED_BELOW[layer].includes(l)).map((l) => ({
          group: [`../${l}`, `../${l}/*`, `../../${l}/*`, `**/src/${l}/*`],
          message: `signaling layer '${layer}' must not import '${l}' (RFC layer order: ${SIGNALING_LAYERS.join(' < ')}; see ARCHITECTURE.md)`,
        })),
      },
    ],
  },
}));

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/reports/**', '**/*.d.ts', '**/build/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: true,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: 'scope:base', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:base'] },
            { sourceTag: 'scope:signaling', onlyDependOnLibsWithTags: ['scope:base', 'scope:config'] },
            { sourceTag: 'scope:media', onlyDependOnLibsWithTags: ['scope:base', 'scope:config'] },
            { sourceTag: 'scope:endpoint', onlyDependOnLibsWithTags: ['scope:base', 'scope:config', 'scope:signaling', 'scope:media'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:endpoint', 'scope:config', 'scope:base', 'scope:sim-app'] },
            { sourceTag: 'scope:sim-app', onlyDependOnLibsWithTags: ['scope:endpoint', 'scope:config', 'scope:signaling', 'scope:base'] },
            { sourceTag: 'scope:features', onlyDependOnLibsWithTags: ['scope:endpoint', 'scope:config', 'scope:signaling', 'scope:base'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@sip-endpoint/*/src/*', '@sip-endpoint/*/*'], message: 'import a library only through its public entry (src/index.ts)' }] },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'features/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests share the real-peer harnesses (SIPp, Kamailio, baresip) of other libraries' test
      // folders; production code stays bound by the dependency rules above.
      '@nx/enforce-module-boundaries': 'off',
    },
  },
  ...layerRules,
];
