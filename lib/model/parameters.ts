// Where a DistilBERT's parameters live: counts by component, from the HF parameter names.
import { courseReference } from "../course/reference.ts";
import type { DistilBertForSequenceClassification } from "./distilbert.ts";

/** Parameter counts by component. LayerNorm includes the embedding LayerNorm. */
export interface ParameterBreakdown {
  embeddings: number;
  attention: number;
  ffn: number;
  layerNorm: number;
  classifier: number;
}

/**
 * The component an HF DistilBERT parameter name belongs to.
 *
 * @example
 * ```ts
 * componentOf("distilbert.transformer.layer.0.ffn.lin1.weight"); // "ffn"
 * ```
 */
export const componentOf = courseReference(
  "01.parameters_by_component",
  function componentOf(name: string): keyof ParameterBreakdown {
    if (/LayerNorm|layer_norm/.test(name)) return "layerNorm";
    if (name.startsWith("distilbert.embeddings.")) return "embeddings";
    if (name.includes(".attention.")) return "attention";
    if (name.includes(".ffn.")) return "ffn";
    if (name.startsWith("pre_classifier.") || name.startsWith("classifier.")) return "classifier";
    throw new Error(`unknown DistilBERT parameter ${name}`);
  },
);

/**
 * Counts parameters by component.
 *
 * @example
 * ```ts
 * parameterBreakdown(model); // { embeddings: 5_885_952, attention: 887_040, … }
 * ```
 */
export const parameterBreakdown = courseReference(
  "01.parameters_by_component",
  function parameterBreakdown(model: DistilBertForSequenceClassification): ParameterBreakdown {
    const out: ParameterBreakdown = {
      embeddings: 0,
      attention: 0,
      ffn: 0,
      layerNorm: 0,
      classifier: 0,
    };
    for (const [name, p] of model.params) out[componentOf(name)] += p.size;
    return out;
  },
);
