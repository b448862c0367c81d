export interface QueryParts {
  /** Words and phrase words a result should contain (for the trigram fallback). */
  positive: string[];
  /** `-word` / `-"a phrase"` terms, without the minus. */
  negated: string[];
  /** A "quoted phrase" asks for exact wording: no typo fallback then. */
  hasPhrase: boolean;
}

/**
 * Splits a websearch-style query the way `websearch_to_tsquery` reads it: "quoted phrases",
 * `OR`, and `-negation`. The fallback needs the positive words (for the name trigram match) and
 * the negated terms (still excluded when typos are tolerated).
 */
export function parseQuery(text: string): QueryParts {
  const positive: string[] = [];
  const negated: string[] = [];
  let hasPhrase = false;
  const re = /(-?)"([^"]*)"?|(\S+)/g;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    if (match[2] !== undefined) {
      const phrase = match[2].trim();
      if (phrase.length === 0) continue;
      if (match[1] === '-') negated.push(`"${phrase}"`);
      else {
        positive.push(phrase);
        hasPhrase = true;
      }
      continue;
    }
    const word = match[3];
    if (word === 'OR' || word === '-') continue;
    if (word.startsWith('-')) negated.push(word.slice(1));
    else positive.push(word);
  }
  return { positive, negated, hasPhrase };
}
