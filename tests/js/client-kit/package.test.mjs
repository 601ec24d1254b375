// @raven/types as a package: the typed usage file and the example type-check (tsc --noEmit; every
// `@ts-expect-error` line must really fail to compile, or tsc reports the directive as unused), and `npm pack` works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageDir, repoRoot } from './contract-shape.mjs';

const exampleDir = join(repoRoot, 'examples', 'react-chat');

function tsc(cwd, args) {
  const result = spawnSync(process.execPath, [join(cwd, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  return result;
}

test('the typed usage file compiles, and its must-not-compile lines do not', () => {
  const result = tsc(packageDir, ['-p', 'tsconfig.usage.json']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('an unused @ts-expect-error (a line that compiles after all) fails the type check', () => {
  const dir = mkdtempSync(join(packageDir, 'test', '.tmp-'));
  try {
    const file = join(dir, 'bad.ts');
    // Valid code under a directive that expects an error: tsc must reject the file.
    writeFileSync(
      file,
      "import type { JoinConversationPayload } from '../../src/index.js';\n// @ts-expect-error\nconst ok: JoinConversationPayload = { conversation_id: 'x' };\nvoid ok;\n",
    );
    const result = tsc(packageDir, ['--noEmit', '--strict', '--module', 'ES2022', '--moduleResolution', 'bundler', '--target', 'ES2022', file]);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /TS2578/); // Unused '@ts-expect-error' directive.
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the React example type-checks against @raven/types', () => {
  const result = tsc(exampleDir, ['--noEmit', '-p', 'tsconfig.json']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('npm pack produces a package with the declarations, the code and contract.json', () => {
  const destination = mkdtempSync(join(tmpdir(), 'raven-pack-'));
  try {
    const result = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: packageDir, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const [packed] = JSON.parse(result.stdout);
    assert.equal(packed.name, '@raven/types');
    const files = packed.files.map((f) => f.path);
    for (const expected of ['dist/index.js', 'dist/index.d.ts', 'dist/events.d.ts', 'dist/rest.d.ts', 'dist/api.js', 'contract.json', 'README.md', 'package.json']) {
      assert.ok(files.includes(expected), `${expected} is in the package (got ${files.join(', ')})`);
    }
    assert.ok(!files.some((f) => f.startsWith('node_modules/') || f.startsWith('test/')), files.join(', '));
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }
});
