/**
 * Where sign-in goes afterwards (`?next=`): only same-site paths, so a link to
 * /login?next=https://evil.example cannot turn sign-in into an open redirect. "//host" and "/\host"
 * leave the site in a browser's address bar, so they are refused too.
 */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/dashboard';
}
