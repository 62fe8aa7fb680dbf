/**
 * The `beforeRedirect` hook of axios' Node http adapter, which follow-redirects calls with the
 * options of the next hop (`href`, `headers`) before it sends that hop.
 */
export type BeforeRedirect = (
  options: Record<string, unknown>,
  responseDetails: { headers: Record<string, string>; statusCode: number },
  requestDetails?: { url: string; method: string; headers?: Record<string, string> },
) => void;

/** Property of a guard that holds the caller's own hook. */
const innerHook = Symbol('vendastaAuthInnerHook');

type Guard = BeforeRedirect & { [innerHook]?: BeforeRedirect | undefined };

/**
 * Returns a `beforeRedirect` hook that removes the Authorization header from every hop whose
 * origin differs from `origin`, after calling the caller's own hook `inner`, and then calls
 * `onCrossOrigin`.
 *
 * Recent axios releases (1.17 and later, by axios' changelog) strip Authorization on every
 * cross-origin hop themselves. Older 1.x releases leave it to follow-redirects, which keeps the
 * header for a subdomain or an http to https upgrade. This guard compares each hop with the first
 * request's origin, so the token reaches no other origin on any hop with any axios 1.x. Once
 * removed, the header stays removed for later hops.
 */
export function guardRedirects(origin: string, inner: unknown, onCrossOrigin?: () => void): BeforeRedirect {
  const userHook = unwrap(inner);
  const guard: Guard = (options, responseDetails, requestDetails) => {
    userHook?.(options, responseDetails, requestDetails);
    if (originOf(options.href) !== origin) {
      removeAuthorization(options.headers);
      onCrossOrigin?.();
    }
  };
  guard[innerHook] = userHook;
  return guard;
}

/** Returns the caller's own hook when `hook` is a guard, so a retried request is not wrapped twice. */
function unwrap(hook: unknown): BeforeRedirect | undefined {
  if (typeof hook !== 'function') return undefined;
  const candidate = hook as Guard;
  return innerHook in candidate ? candidate[innerHook] : candidate;
}

function originOf(href: unknown): string | undefined {
  if (typeof href !== 'string') return undefined;
  try {
    return new URL(href).origin;
  } catch {
    return undefined;
  }
}

function removeAuthorization(headers: unknown): void {
  if (typeof headers !== 'object' || headers === null) return;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') delete (headers as Record<string, unknown>)[name];
  }
}
