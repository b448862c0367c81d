import { ApiError } from '../api/client';

/** An api error as the user should read it: what happened, and (from the problem's detail) what to do. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error : undefined;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{problem?.title ?? 'Something went wrong'}</strong>
      {problem?.detail && <p>{problem.detail}</p>}
      {problem?.errors.length ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={e.field + e.message}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {!problem && error instanceof Error && <p>{error.message}</p>}
    </div>
  );
}
