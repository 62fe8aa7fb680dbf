/**
 * Normalises scopes into a sorted list without duplicates, so that `['a b']`, `'b a'` and
 * `['b', 'a', 'a']` name the same token.
 *
 * @throws {TypeError} when `scopes` is neither a string nor an array of strings, or is empty.
 */
export function normalizeScopes(scopes: unknown, name = 'scopes'): readonly string[] {
  let parts: string[];
  if (typeof scopes === 'string') {
    parts = scopes.split(/\s+/);
  } else if (Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string')) {
    parts = (scopes as string[]).flatMap((scope) => scope.split(/\s+/));
  } else {
    throw Object.assign(
      new TypeError(`\`${name}\` must be a string or an array of strings, for example ['profile', 'email'].`),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );
  }

  const unique = [...new Set(parts.filter((part) => part !== ''))].sort();
  if (unique.length === 0) {
    throw Object.assign(
      new TypeError(`\`${name}\` is empty: name at least one scope that the service account was granted.`),
      { code: 'ERR_INVALID_ARG_VALUE' },
    );
  }
  return Object.freeze(unique);
}
