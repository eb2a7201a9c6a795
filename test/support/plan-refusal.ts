import { expect } from 'vitest';
import { planQuantTypes, QuantizePlanError, type PlanModelInput, type QuantizeOptions } from '../../src/pipeline/presets-plan';

/** The QuantizePlanError planQuantTypes refuses this model and these options with; fails the test when it plans instead or throws anything else. */
export function planRefusal(model: PlanModelInput, opts: QuantizeOptions): QuantizePlanError {
  let err: unknown;
  try {
    planQuantTypes(model, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QuantizePlanError);
  return err as QuantizePlanError;
}
