/**
 * Hugging Face tokenizers compile Split patterns with Oniguruma (Ruby syntax, UTF-8); this turns
 * such a pattern into a JavaScript RegExp (flags "gu") that matches the same strings, for the
 * constructs tokenizer.json files use. What JavaScript would read differently is rewritten:
 * - `\s` / `\S` are Unicode White_Space in Oniguruma (U+0085 yes, U+FEFF no); JS's `\s` is not.
 * - `(?i:...)` (JS before ES2025 lacks inline modifiers) becomes explicit case alternatives,
 *   with Oniguruma's Unicode case folds of ASCII letters (s ~ U+017F, k ~ U+212A).
 * - `.`, `^`, `$` are line-based in Ruby syntax.
 * Constructs with no faithful JS spelling (possessive or atomic groups, `\w`, `\b`, inline flags
 * other than `(?i:`) raise OnigRegexError rather than being approximated.
 */

export class OnigRegexError extends Error {
  override name = 'OnigRegexError';
}

/** Unicode White_Space, the set Oniguruma's `\s` matches in a UTF-8 pattern. */
const WS = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Code points whose simple case fold equals an ASCII letter's, beyond the letter's two cases. */
const EXTRA_FOLDS: Readonly<Record<string, string>> = { s: '\\u017f', k: '\\u212a' };

const isAsciiLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);
const foldSet = (c: string): string => `${c.toLowerCase()}${c.toUpperCase()}${EXTRA_FOLDS[c.toLowerCase()] ?? ''}`;

/** Translates an Oniguruma pattern; throws OnigRegexError for what it cannot translate exactly. */
export function onigToJs(pattern: string): RegExp {
  let out = '';
  let inClass = 0; // depth of [...] (nested classes are refused, so 0 or 1)
  const groups: boolean[] = []; // per open group: does it switch case-insensitivity on
  let ci = 0; // open (?i: groups
  const refuse = (what: string, at: number): never => {
    throw new OnigRegexError(`pattern ${JSON.stringify(pattern)}: ${what} at ${at} has no exact JavaScript equivalent`);
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) refuse('a trailing backslash', i);
      if (n === 's') out += inClass ? WS : `[${WS}]`;
      else if (n === 'S') {
        if (inClass) refuse('\\S inside a character class', i);
        out += `[^${WS}]`;
      } else if (n === 'p' || n === 'P') {
        const m = /^\\[pP]\{\^?[A-Za-z_]+\}/.exec(pattern.slice(i));
        if (m === null) refuse('a \\p escape without braces', i);
        let body = m![0];
        if (body[3] === '^') body = (n === 'p' ? '\\P{' : '\\p{') + body.slice(4);
        out += body;
        i += m![0].length - 1;
        continue;
      } else if (n === 'd') out += '\\p{Nd}'; // Unicode digits, as Oniguruma reads \d without the ASCII option
      else if (n === 'x' || n === 'u') {
        const m = /^\\(x[0-9A-Fa-f]{2}|x\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4})/.exec(pattern.slice(i));
        if (m === null) refuse(`an escape \\${n}`, i);
        const hex = m![1]!.replace(/^[xu]\{?/, '').replace(/\}$/, '');
        const ch = String.fromCodePoint(Number.parseInt(hex, 16));
        out += ci > 0 && !inClass && isAsciiLetter(ch) ? `[${foldSet(ch)}]` : `\\u{${hex}}`;
        i += m![0].length - 1;
        continue;
      } else if ('rntfv'.includes(n!)) out += `\\${n}`;
      else if (n === 'a') out += '\\x07';
      else if (n === 'e') out += '\\x1b';
      else if (!/[A-Za-z0-9]/.test(n!)) {
        // an escaped punctuation character is that character; JS's u mode allows few identity escapes
        out += '^$\\.*+?()[]{}|/'.includes(n!) || (inClass && n === '-') ? `\\${n}` : n;
      } else refuse(`the escape \\${n}`, i);
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[') refuse('a nested character class', i);
      if (c === ']') inClass = 0;
      if (c === '&' && pattern[i + 1] === '&') refuse('a class intersection', i);
      out += ci > 0 && isAsciiLetter(c) ? foldSet(c) : c;
      continue;
    }
    if (c === '[') {
      inClass = 1;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]'; // a leading ] is literal in Oniguruma
        i++;
      }
      continue;
    }
    if (c === '(') {
      const rest = pattern.slice(i);
      if (rest.startsWith('(?i:')) {
        groups.push(true);
        ci++;
        out += '(?:';
        i += 3;
      } else if (rest.startsWith('(?:') || rest.startsWith('(?=') || rest.startsWith('(?!')) {
        groups.push(false);
        out += rest.slice(0, 3);
        i += 2;
      } else if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
        groups.push(false);
        out += rest.slice(0, 4);
        i += 3;
      } else if (rest.startsWith('(?')) refuse(`the group ${rest.slice(0, 4)}`, i);
      else {
        groups.push(false);
        out += '(';
      }
      continue;
    }
    if (c === ')') {
      if (groups.length === 0) refuse('an unbalanced )', i);
      if (groups.pop()) ci--;
      out += ')';
      continue;
    }
    if (c === '+' || c === '*' || c === '?' || c === '}') {
      out += c;
      const n = pattern[i + 1];
      if (n === '+') refuse('a possessive quantifier', i);
      if (c !== '}' && n === '?') {
        out += '?'; // lazy, same in both
        i++;
      }
      continue;
    }
    if (c === '.') out += '[^\\n]';
    else if (c === '^') out += '(?<![^\\n])';
    else if (c === '$') out += '(?![^\\n])';
    else if (ci > 0 && isAsciiLetter(c)) out += `[${foldSet(c)}]`;
    else if (c === '/') out += '\\/';
    else out += c;
  }
  if (inClass || groups.length > 0) refuse('an unterminated class or group', pattern.length);
  try {
    return new RegExp(out, 'gu');
  } catch (e) {
    throw new OnigRegexError(`pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}
