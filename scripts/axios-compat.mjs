#!/usr/bin/env node
// Type-checks the sources and runs the jest suites against other axios releases than the one in
// node_modules. Each release is installed into its own temporary folder, which is removed at the
// end; tsc resolves it through `paths`, and jest through `moduleNameMapper`.
//
// Usage: node scripts/axios-compat.mjs [version ...]   (default: the oldest supported release)
// Needs the npm registry, or an npm cache that already holds the requested releases.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import jestConfig from '../jest.config.js';
import { OLDEST_AXIOS } from './axios-versions.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const versions = process.argv.slice(2);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function installAxios(version, dir) {
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `axios@${version}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return join(dir, 'node_modules', 'axios');
}

function typecheck(axiosDir, dir) {
  const tsconfig = join(dir, 'tsconfig.json');
  const compilerOptions = {
    paths: { axios: [join(axiosDir, 'index.d.ts')] },
    // Type packages are looked up next to the config file unless typeRoots is set.
    typeRoots: [join(root, 'node_modules', '@types')],
  };
  writeFileSync(tsconfig, JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions }));
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig, '--noEmit']);
}

function runJest(axiosDir) {
  const config = {
    ...jestConfig,
    rootDir: root,
    // The CommonJS build, because ts-jest compiles the sources and tests to CommonJS.
    moduleNameMapper: { '^axios$': join(axiosDir, 'dist', 'node', 'axios.cjs'), ...jestConfig.moduleNameMapper },
  };
  run(join(root, 'node_modules', '.bin', 'jest'), ['--config', JSON.stringify(config)]);
}

for (const version of versions.length > 0 ? versions : [OLDEST_AXIOS]) {
  const dir = mkdtempSync(join(tmpdir(), `axios-compat-${version}-`));
  try {
    const axiosDir = installAxios(version, dir);
    console.error(`axios ${version}: type check`);
    typecheck(axiosDir, dir);
    console.error(`axios ${version}: jest`);
    runJest(axiosDir);
    console.error(`axios ${version}: ok`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
