#!/usr/bin/env node
// Packs this package with `npm pack`, installs the tarball into fresh temporary ESM, CommonJS and
// strict TypeScript projects, and runs each against the local token server that the installed
// package exports. Everything happens in one temporary folder, which is removed at the end.
//
// Usage: node scripts/pack-smoke.mjs [axios version ...]
// By default it runs with the axios in node_modules and with the oldest supported axios. Installs
// use the npm cache first, so only versions missing from the cache need the npm registry.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { installedAxios, OLDEST_AXIOS } from './axios-versions.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fixtures = join(root, 'scripts', 'pack-smoke');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const RUN_TIMEOUT_MS = 60_000;

/** Files the tarball must contain, and patterns it must not. */
const REQUIRED_FILES = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/cli.js',
  'dist/testing/index.js',
  'dist/testing/index.d.ts',
  'dist/redis.js',
  'dist/redis.d.ts',
];
const FORBIDDEN_FILES = [/^lib\//, /^__tests__\//, /^scripts\//, /\.map$/, /\.tgz$/, /^\.ci\//, /^tsconfig/];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, ...options });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output}`);
  }
  return result;
}

function step(label, action) {
  const started = Date.now();
  const value = action();
  console.error(`pack-smoke: ${label} (${Date.now() - started} ms)`);
  return value;
}

/** Runs `npm pack` (its prepack script builds dist/) and checks the file list. */
function pack(dir) {
  const { stdout } = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  const files = info.files.map((file) => file.path);
  for (const required of REQUIRED_FILES) {
    if (!files.includes(required)) throw new Error(`The tarball lacks ${required}.`);
  }
  const unwanted = files.filter((file) => FORBIDDEN_FILES.some((pattern) => pattern.test(file)));
  if (unwanted.length > 0) throw new Error(`The tarball contains files users do not need: ${unwanted.join(', ')}`);
  return join(dir, info.filename);
}

function writeProject(dir, type, files) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type }, null, 2)}\n`);
  for (const [name, source] of Object.entries(files)) cpSync(join(fixtures, source), join(dir, name));
}

function writeTsConfig(dir, name, files, emit) {
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    ...(emit ? { outDir: 'out' } : { noEmit: true }),
  };
  writeFileSync(join(dir, name), JSON.stringify({ compilerOptions, files }, null, 2));
}

/** Installs the tarball with one axios version, then builds and runs the three projects. */
function smokeTest(tarball, axiosVersion, dir) {
  const typesNode = readJson(join(root, 'node_modules', '@types', 'node', 'package.json')).version;
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  step(`install the tarball with axios ${axiosVersion}`, () =>
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, `axios@${axiosVersion}`, `@types/node@${typesNode}`], { cwd: dir }),
  );

  writeProject(join(dir, 'esm'), 'module', { 'index.js': 'esm.mjs' });
  writeProject(join(dir, 'cjs'), 'commonjs', { 'index.js': 'cjs.cjs' });
  writeProject(join(dir, 'ts'), 'module', { 'index.ts': 'ts-main.ts', 'invalid.ts': 'ts-invalid.ts' });
  writeTsConfig(join(dir, 'ts'), 'tsconfig.json', ['index.ts'], true);
  writeTsConfig(join(dir, 'ts'), 'tsconfig.invalid.json', ['invalid.ts'], false);

  step('run the ESM project', () => run(process.execPath, ['esm/index.js'], { cwd: dir }));
  const cjs = step('run the CommonJS project', () => run(process.execPath, ['cjs/index.js'], { cwd: dir }));
  if (/ExperimentalWarning/.test(cjs.stderr)) console.error(`pack-smoke: require() warned:\n${cjs.stderr}`);
  step('compile the TypeScript project with --strict', () => run(tsc, ['-p', 'ts/tsconfig.json'], { cwd: dir }));
  step('run the TypeScript project', () => run(process.execPath, ['ts/out/index.js'], { cwd: dir }));
  step('reject a misspelt vendastaAuth option', () => expectTypeError(dir));
}

function expectTypeError(dir) {
  const result = spawnSync(tsc, ['-p', 'ts/tsconfig.invalid.json'], { cwd: dir, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (result.status === 0) throw new Error('tsc accepted `vendastaAuth: { scope }`, so the augmentation is not checked.');
  if (!result.stdout.includes('VendastaAuthRequestOptions')) {
    throw new Error(`tsc failed for another reason than the augmented option:\n${result.stdout}`);
  }
}

const requested = process.argv.slice(2);
const versions = requested.length > 0 ? requested : [...new Set([installedAxios(), OLDEST_AXIOS])];
const workDir = mkdtempSync(join(tmpdir(), 'vendasta-pack-smoke-'));
try {
  const tarball = step('npm pack', () => pack(workDir));
  for (const version of versions) {
    const dir = join(workDir, `axios-${version}`);
    mkdirSync(dir);
    smokeTest(tarball, version, dir);
  }
  console.error('pack-smoke: ok');
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
