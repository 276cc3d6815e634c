// Checks of notebook 01 (architecture inspection). Each builds small random DistilBERTs and
// compares the student's function with the reference computed here, at check time.
import { defineChecks, expectClose, fail, partial, show } from "../grader/checks.ts";
import { distilbertBaseConfig, type DistilBertConfig, headDim } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { tinyDistilBert } from "./tiny_distilbert.ts";
import { parameterBreakdown } from "../model/parameters.ts";

type Model = DistilBertForSequenceClassification;

/** Runs `body` on a fresh tiny model and disposes it. */
async function withModel<T>(
  extra: Partial<DistilBertConfig>,
  body: (m: Model) => T | Promise<T>,
): Promise<T> {
  const model = await tinyDistilBert(extra);
  try {
    return await body(model);
  } finally {
    model.dispose();
  }
}

const PRUNED = { pruned_heads: { "0": [1], "2": [0, 3] } };

export default defineChecks([
  {
    id: "01.count_parameters",
    points: 2,
    title: "Count all parameters",
    uses: ["countParameters"],
    run: ({ countParameters }) =>
      withModel(
        {},
        (m) =>
          expectClose(
            (countParameters as (m: Model) => number)(m),
            m.numParameters(),
            "countParameters(3-layer model)",
          ),
      ),
  },
  {
    id: "01.count_trainable_parameters",
    points: 2,
    title: "Count trainable parameters",
    uses: ["countTrainableParameters"],
    run: ({ countTrainableParameters }) =>
      withModel({}, (m) => {
        const f = countTrainableParameters as (m: Model) => number;
        const all = expectClose(f(m), m.numParameters(), "all trainable");
        for (const [name, p] of m.params) {
          if (name.startsWith("distilbert.embeddings.")) p.trainable = false;
        }
        const frozen = [...m.params.values()].filter((p) => p.trainable).reduce(
          (s, p) => s + p.size,
          0,
        );
        const some = expectClose(
          f(m),
          frozen,
          "with the embeddings frozen (variable.trainable = false)",
        );
        return partial([{ ok: all.fraction === 1, message: all.message }, {
          ok: some.fraction === 1,
          message: some.message,
        }]);
      }),
  },
  {
    id: "01.size_mb",
    points: 1,
    title: "Size in MB at 4 bytes per parameter",
    uses: ["sizeInMB"],
    run: ({ sizeInMB }) =>
      expectClose((sizeInMB as (n: number) => number)(2_500_000), 10, "sizeInMB(2,500,000)", 1e-9),
  },
  {
    id: "01.count_heads",
    points: 2,
    title: "Count attention heads (also after pruning)",
    uses: ["countAttentionHeads"],
    run: async ({ countAttentionHeads }) => {
      const f = countAttentionHeads as (m: Model) => number;
      const full = await withModel({}, (m) => f(m));
      const pruned = await withModel(PRUNED, (m) => f(m));
      return partial([
        { ok: full === 12, message: `unpruned 3x4 model: expected 12, got ${show(full)}` },
        { ok: pruned === 9, message: `after pruning 3 heads: expected 9, got ${show(pruned)}` },
      ]);
    },
  },
  {
    id: "01.parameters_by_component",
    points: 3,
    title: "Parameters by component",
    uses: ["parametersByComponent"],
    run: ({ parametersByComponent }) =>
      withModel(PRUNED, (m) => {
        const got = (parametersByComponent as (m: Model) => Record<string, number>)(m);
        const want = parameterBreakdown(m);
        if (!got || typeof got !== "object") {
          return fail(`expected an object like ${show(want)}, got ${show(got)}`);
        }
        return partial(
          Object.entries(want).map(([k, v]) => ({
            ok: got[k] === v,
            message: `${k}: expected ${v}, got ${show(got[k])}`,
          })),
        );
      }),
  },
  {
    id: "01.per_head_and_neuron",
    points: 2,
    title: "Parameters per head and per FFN neuron",
    uses: ["parametersPerHead", "parametersPerNeuron"],
    run: async ({ parametersPerHead, parametersPerNeuron }) => {
      // Reference from the counts: what one head / one neuron adds to a model.
      const count = (extra: Partial<DistilBertConfig>) =>
        withModel(extra, (m) => ({ n: m.numParameters(), c: m.config }));
      const full = await count({});
      const oneHeadLess = await count({ pruned_heads: { "1": [2] } });
      const oneNeuronLess = await count({ pruning_lab_ffn_dims: [24, 23, 24] });
      const perHead = (parametersPerHead as (c: DistilBertConfig) => number)(full.c);
      const perNeuron = (parametersPerNeuron as (c: DistilBertConfig) => number)(full.c);
      const base = distilbertBaseConfig();
      return partial([
        {
          ok: perHead === full.n - oneHeadLess.n,
          message: `per head (dim 16, 4 heads): expected ${full.n - oneHeadLess.n}, got ${
            show(perHead)
          }`,
        },
        {
          ok: perNeuron === full.n - oneNeuronLess.n,
          message: `per neuron (dim 16): expected ${full.n - oneNeuronLess.n}, got ${
            show(perNeuron)
          }`,
        },
        {
          ok: (parametersPerHead as (c: DistilBertConfig) => number)(base) ===
            4 * 768 * headDim(base) + 3 * headDim(base),
          message: "per head for DistilBERT-base is wrong",
        },
        {
          ok: (parametersPerNeuron as (c: DistilBertConfig) => number)(base) === 2 * 768 + 1,
          message: "per neuron for DistilBERT-base is wrong",
        },
      ]);
    },
  },
]);
