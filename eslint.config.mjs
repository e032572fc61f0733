// Lint: typescript-eslint's recommended rules, plus the two boundaries the design cares about.
import tseslint from 'typescript-eslint';

const NO_VSCODE = { name: 'vscode', message: 'src/core, src/cli, src/protocol and webview must not import vscode.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/run/**', 'test/e2e/node_modules/**', '**/*.js', 'out/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The core is pure: no editor API, no UI.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_VSCODE] }] },
  },
  {
    // The shared vocabulary and the webview (docs/architecture.md §3): they import only src/protocol and webview/,
    // so the webview bundle never pulls in Node code and the protocol stays the one place the words live.
    // (test/architecture/imports.test.ts checks the same, and that src/ has no import cycles.)
    files: ['src/protocol/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [NO_VSCODE],
        patterns: [{ group: ['**/core', '**/core/**', '**/cli', '**/cli/**', '**/extension', '**/extension/**'], message: 'src/protocol and webview import only from src/protocol and webview (docs/architecture.md §3).' }],
      }],
    },
  },
);
