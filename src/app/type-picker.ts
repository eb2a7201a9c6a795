import { presetStatuses } from '../pipeline/presets-probe';
import { isAlias } from '../pipeline/presets';
import type { OutputFormat } from '../pipeline/plan';

/** The type picker's groups, in the order people choose; the sizes come from the planner. */

export interface TargetChoice {
  readonly value: string;
  /** Why one would (or would not) pick it, in a few words. */
  readonly note: string;
  /** Shown but not selectable, with `note` saying why. */
  readonly disabled: boolean;
}

export interface TargetGroup {
  readonly label: string;
  readonly choices: readonly TargetChoice[];
}

const RECOMMENDED: readonly (readonly [string, string])[] = [
  ['Q4_K_M', 'recommended: small, good quality'],
  ['Q5_K_M', 'larger, closer to the original'],
  ['Q6_K', 'very close to the original'],
  ['Q8_0', 'practically lossless'],
];
const FLOATS: readonly (readonly [string, string])[] = [
  ['F16', 'no quantization, half the size of F32'],
  ['BF16', 'no quantization, keeps F32’s range'],
  ['F32', 'no quantization, full size'],
];
const OTHER_ORDER = ['Q5_K_S', 'Q4_K_S', 'IQ4_XS', 'IQ4_NL', 'Q3_K_L', 'Q3_K_M', 'Q3_K_S', 'Q2_K', 'Q2_K_S', 'Q5_1', 'Q5_0', 'Q4_1', 'Q4_0', 'COPY'];
const OTHER_NOTES: Record<string, string> = {
  Q5_K_S: 'a bit smaller than Q5_K_M',
  Q4_K_S: 'a bit smaller than Q4_K_M',
  IQ4_XS: 'about Q4_K_S quality, smaller',
  IQ4_NL: 'non-linear 4-bit',
  Q3_K_L: 'small, noticeable quality loss',
  Q3_K_M: 'small, noticeable quality loss',
  Q3_K_S: 'smaller, more quality loss',
  Q2_K: 'very small, large quality loss',
  Q2_K_S: 'very small, large quality loss',
  Q5_1: 'legacy; Q5_K_M is better',
  Q5_0: 'legacy; Q5_K_M is better',
  Q4_1: 'legacy; Q4_K_M is better',
  Q4_0: 'legacy; Q4_K_M is better',
  COPY: 'copy tensors unchanged',
};

function exoticWhy(name: string, needsImatrix: boolean, usable: boolean, imatrix: boolean): string {
  if (needsImatrix && !usable && !imatrix) return 'needs an importance matrix: pick one beside the model';
  if (needsImatrix && usable) return 'very low bits, made with the importance matrix';
  if (!usable) return 'Kiln cannot encode every type it uses yet';
  if (name.startsWith('TQ')) return 'only for models trained with ternary weights';
  if (name === 'Q1_0' || name === 'Q2_0') return 'experimental 1–2 bit formats';
  if (name.startsWith('MXFP4')) return 'for mixture-of-experts models trained in MXFP4';
  return 'very low bits: large quality loss without an importance matrix';
}

/** `imatrix`: an importance matrix was picked, so the types that need one are offered. */
export function targetGroups(format: OutputFormat, opts: { readonly imatrix?: boolean } = {}): TargetGroup[] {
  const floats = FLOATS.map(([value, note]) => ({ value, note, disabled: false }));
  if (format === 'safetensors') return [{ label: 'Float types', choices: floats }];
  const imatrix = opts.imatrix === true;
  const statuses = presetStatuses({ imatrix }).filter((p) => !isAlias(p));
  const byName = new Map(statuses.map((p) => [p.name, p]));
  const used = new Set<string>();
  const take = (name: string, note: string): TargetChoice[] => {
    const p = byName.get(name);
    if (!p || !p.usable) return [];
    used.add(name);
    return [{ value: name, note, disabled: false }];
  };
  const recommended = RECOMMENDED.flatMap(([n, note]) => take(n, note));
  const floatChoices = FLOATS.flatMap(([n, note]) => take(n, note));
  const other = OTHER_ORDER.flatMap((n) => take(n, OTHER_NOTES[n] ?? ''));
  const exotic = statuses.filter((p) => !used.has(p.name)).map((p) => ({ value: p.name, note: exoticWhy(p.name, p.needsImatrix, p.usable, imatrix), disabled: !p.usable }));
  // usable exotic types first, then the ones shown only to say why they are not offered
  exotic.sort((a, b) => Number(a.disabled) - Number(b.disabled));
  return [
    { label: 'Recommended', choices: recommended },
    { label: 'No quantization', choices: floatChoices },
    { label: 'Other quantizations', choices: other },
    { label: 'Specialised (read why first)', choices: exotic },
  ].filter((g) => g.choices.length > 0);
}

/** Every selectable value, in picker order. */
export function targetValues(format: OutputFormat, opts: { readonly imatrix?: boolean } = {}): string[] {
  return targetGroups(format, opts).flatMap((g) => g.choices.filter((c) => !c.disabled).map((c) => c.value));
}
