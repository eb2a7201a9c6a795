import { css } from 'lit';

/**
 * The palette as custom properties (they inherit through shadow roots), light by default and dark
 * from prefers-color-scheme; set once on kiln-app's host.
 */
export const themeTokens = css`
  :host {
    color-scheme: light dark;
    --kiln-bg: #faf8f5;
    --kiln-surface: #ffffff;
    --kiln-surface-2: #f6f1eb;
    --kiln-text: #1d1b19;
    --kiln-muted: #5f5348;
    --kiln-border: #ddd2c6;
    --kiln-border-strong: #8c7b6b;
    --kiln-accent: #a34a16;
    --kiln-accent-text: #ffffff;
    --kiln-accent-soft: #f8e4d6;
    --kiln-hover: #fbf1e8;
    --kiln-focus: #1a5fb4;
    --kiln-header-bg: #2b211c;
    --kiln-header-text: #f7efe6;
    --kiln-danger: #a61b0f;
    --kiln-danger-bg: #fdecea;
    --kiln-ok: #1d6b35;
    --kiln-ok-bg: #e9f6ec;
    --kiln-notice-bg: #eef1f5;
    --kiln-bar: #b5541c;
    --kiln-bar-2: #6b8fb5;
    --kiln-mono: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --kiln-bg: #171412;
      --kiln-surface: #221e1b;
      --kiln-surface-2: #2c2622;
      --kiln-text: #f1ebe4;
      --kiln-muted: #bfb2a5;
      --kiln-border: #41372f;
      --kiln-border-strong: #8d7c6c;
      --kiln-accent: #f08a4b;
      --kiln-accent-text: #1b120c;
      --kiln-accent-soft: #4a2c1a;
      --kiln-hover: #2f2823;
      --kiln-focus: #8ab4f8;
      --kiln-header-bg: #0f0c0b;
      --kiln-header-text: #f7efe6;
      --kiln-danger: #ff9b8f;
      --kiln-danger-bg: #3b1714;
      --kiln-ok: #8fd6a3;
      --kiln-ok-bg: #15301e;
      --kiln-notice-bg: #262b33;
      --kiln-bar: #f08a4b;
      --kiln-bar-2: #8fb3d9;
    }
  }
`;

/** Controls every element shares: visible focus, disabled that looks disabled, labelled fields. */
export const controls = css`
  :host {
    color: var(--kiln-text);
  }
  :focus-visible {
    outline: 3px solid var(--kiln-focus);
    outline-offset: 2px;
    border-radius: 4px;
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
    color: var(--kiln-text);
    background: var(--kiln-surface);
    border: 1px solid var(--kiln-border-strong);
    border-radius: 6px;
    padding: 0.3rem 0.55rem;
    max-width: 100%;
  }
  button,
  .button {
    cursor: pointer;
    background: var(--kiln-surface-2);
  }
  button:hover:not(:disabled) {
    background: var(--kiln-hover);
  }
  button.primary {
    background: var(--kiln-accent);
    color: var(--kiln-accent-text);
    border-color: var(--kiln-accent);
    font-weight: 600;
  }
  button.link {
    border: none;
    background: none;
    padding: 0;
    color: var(--kiln-accent);
    text-decoration: underline;
  }
  button:disabled,
  select:disabled,
  input:disabled,
  textarea:disabled {
    opacity: 0.45;
    cursor: not-allowed;
    filter: grayscale(0.6);
  }
  input[type='checkbox'] {
    accent-color: var(--kiln-accent);
  }
  [aria-invalid='true'] {
    border-color: var(--kiln-danger);
    box-shadow: 0 0 0 1px var(--kiln-danger);
  }
  .field-error {
    color: var(--kiln-danger);
    font-size: 0.85rem;
  }
  .muted {
    color: var(--kiln-muted);
  }
  a {
    color: var(--kiln-accent);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .problem {
    border: 1px solid var(--kiln-danger);
    background: var(--kiln-danger-bg);
    color: var(--kiln-text);
    padding: 0.6rem 0.8rem;
    border-radius: 8px;
    margin: 0.5rem 0;
  }
  .problem strong {
    color: var(--kiln-danger);
  }
  .problem p {
    margin: 0.2rem 0;
  }
  .problem details summary {
    cursor: pointer;
    font-size: 0.85rem;
  }
  .problem pre {
    white-space: pre-wrap;
    word-break: break-word;
    font-family: var(--kiln-mono);
    font-size: 0.8rem;
    margin: 0.3rem 0 0;
  }
  .notice {
    border: 1px solid var(--kiln-border-strong);
    background: var(--kiln-notice-bg);
    padding: 0.5rem 0.8rem;
    border-radius: 8px;
    margin: 0.5rem 0;
  }
`;

/** A panel on the page. */
export const card = css`
  :host {
    display: block;
    background: var(--kiln-surface);
    border: 1px solid var(--kiln-border);
    border-radius: 10px;
    padding: 1rem;
    min-width: 0;
  }
  h2 {
    font-size: 1.05rem;
    margin: 0 0 0.6rem;
  }
`;
