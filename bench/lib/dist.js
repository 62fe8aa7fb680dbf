// Loads the built package. The bench runs against dist/ (what npm ships), or against the folder
// named by BENCH_DIST_DIR, which the smoke test sets so that it never races a build of dist/.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const distDir = process.env.BENCH_DIST_DIR;
const distUrl =
  distDir === undefined || distDir === ''
    ? new URL('../../dist/', import.meta.url)
    : pathToFileURL(`${resolve(distDir)}/`);

/** Imports a module of the built package by its path inside dist/, such as 'assertion.js'. */
export function importDist(path) {
  return import(new URL(path, distUrl).href);
}
