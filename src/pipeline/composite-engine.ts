import type { TypeName } from '../codecs/catalogue';
import type { QualitySums } from '../codecs/quality';
import type { TransformEngine } from './engine';
import { measures } from './measured';

/**
 * The GPU where it has kernels for a pair, the CPU twins otherwise, so a conversion never stops
 * because one type lacks a WGSL kernel. The label names what actually ran.
 */
export class CompositeEngine implements TransformEngine {
  private usedFallback = false;
  constructor(
    private readonly primary: TransformEngine,
    private readonly fallback: TransformEngine,
  ) {}

  get label(): string {
    return this.usedFallback ? `${this.primary.label} + ${this.fallback.label}` : this.primary.label;
  }

  get acceptsWeights(): boolean {
    return this.primary.acceptsWeights === true || this.fallback.acceptsWeights === true;
  }

  /** Whether the primary converts the pair with importance weights (see TransformEngine.supportsWeighted). */
  private primaryWeighted(from: TypeName, to: TypeName): boolean {
    if (this.primary.supportsWeighted !== undefined) return this.primary.supportsWeighted(from, to);
    const takesWeights = this.primary.acceptsWeights === true && (this.primary.acceptsWeightsFor?.(to) ?? true);
    return takesWeights && this.primary.supports(from, to);
  }

  /**
   * Weighted chunks go to the primary when it has a weighted kernel for the pair, even where it has
   * no unweighted one (IQ2_XXS on the GPU); unweighted ones when it supports the pair.
   */
  private pick(from: TypeName, to: TypeName, weighted = false): TransformEngine {
    if (weighted ? this.primaryWeighted(from, to) : this.primary.supports(from, to)) return this.primary;
    this.usedFallback = true;
    return this.fallback;
  }

  get parallelism(): number {
    return Math.max(this.primary.parallelism ?? 1, this.fallback.parallelism ?? 1);
  }

  supports(from: TypeName, to: TypeName): boolean {
    return this.primary.supports(from, to) || this.fallback.supports(from, to);
  }

  /** The primary's size wherever it may take the pair's chunks (weighted-only pairs included). */
  maxChunkElements(from: TypeName, to: TypeName): number {
    const primary = this.primary.supports(from, to) || this.primary.supportsWeighted?.(from, to) === true;
    return (primary ? this.primary : this.fallback).maxChunkElements(from, to);
  }

  transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array> {
    return this.pick(from, to, weights !== undefined).transform(from, to, bytes, elements, out, weights);
  }

  async transformMeasured(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<{ bytes: Uint8Array; quality: QualitySums | null }> {
    const e = this.pick(from, to, weights !== undefined);
    if (measures(e)) return e.transformMeasured(from, to, bytes, elements, out, weights);
    return { bytes: await e.transform(from, to, bytes, elements, out, weights), quality: null };
  }

  dispose(): void {
    this.primary.dispose();
    this.fallback.dispose();
  }
}
