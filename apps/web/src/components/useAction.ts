import { useCallback, useState } from 'react';

export interface Action {
  /** True while an action runs (buttons disable themselves). */
  busy: boolean;
  /** What the last action threw (an ApiError with the api's problem), until the next one starts. */
  error: unknown;
  /** Runs `action`; answers whether it succeeded. */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
}

/** The state every button or form that calls the api needs: busy while it runs, its error after. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/** Text inputs bound to one object of values: `<input {...field('name')} />`. */
export function useFields<T extends Record<string, string>>(initial: T) {
  const [values, setValues] = useState(initial);
  const field = (name: keyof T) => ({
    value: values[name],
    onChange: (event: { target: { value: string } }) =>
      setValues((current) => ({ ...current, [name]: event.target.value })),
  });
  return { values, setValues, field };
}
