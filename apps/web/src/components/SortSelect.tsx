/** "Sort [select]" over (value, label) pairs: search results and reviews. */
export function SortSelect(props: {
  options: readonly (readonly [string, string])[];
  value: string;
  onChange: (value: string) => void;
  className?: string;
}) {
  return (
    <label className={props.className}>
      Sort{' '}
      <select value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
