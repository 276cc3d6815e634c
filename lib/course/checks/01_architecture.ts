// Checks of notebook 01 (architecture inspection). Each draws small random DistilBERTs (sizes,
// pruned heads, FFN widths, frozen parts) from the run's fixtures, has the student's function
// count on them, and compares with counts made here. Scoring (lib/grader/api/check.ts
// `partial`): a check pays only when its core parts pass on this run's random models;
// validation and DistilBERT-base parts are secondary. Each check's comment says why a fixed
// answer (one that does not look at its input) passes with probability below 1e-3.
import {
  call,
  defineChecks,
  fail,
  partial,
  show,
  type Student,
  value,
} from "../../grader/api/check.ts";
import type { Arg, Plain } from "../../grader/shared/probe.ts";
import type { Recipe } from "../recipes.ts";
import { distilbertBaseConfig, type DistilBertConfig, parseConfig } from "../../model/config.ts";
import { parameterBreakdown } from "../../model/parameters.ts";
import { distilbertRecipe, onModel, randomConfig, randomPrunedHeads } from "../tiny_distilbert.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";

/** The student's function on one model recipe. */
async function onStudentModel(student: Student, name: string, recipe: Recipe, what: string) {
  return value(await call(student, name, [{ ref: "m" }], { objects: { m: recipe } }), what);
}

/** A random model with pruned heads and narrower FFNs in some layers. */
function prunedRecipe(fx: Fixtures): Recipe {
  const config = randomConfig(fx);
  config.pruned_heads = randomPrunedHeads(fx, config);
  config.pruning_lab_ffn_dims = Array.from(
    { length: config.n_layers! },
    () => fx.int(3, config.hidden_dim!),
  );
  return distilbertRecipe(fx, config);
}

export default defineChecks([
  {
    id: "01.count_parameters",
    points: 2,
    title: "Count all parameters",
    uses: ["countParameters"],
    // Three random pruned models: each count spreads over thousands of values, so a fixed
    // answer matches all three with probability far below 1e-3.
    run: async ({ student, fx }) => {
      const parts = [];
      for (let k = 0; k < 3; k++) {
        const recipe = prunedRecipe(fx);
        const want = await onModel(recipe, (m) => m.numParameters());
        const what = `countParameters(random pruned model ${k + 1})`;
        const got = await onStudentModel(student, "countParameters", recipe, what);
        parts.push({ ok: got === want, message: `${what}: expected ${want}, got ${show(got)}` });
      }
      return partial(parts);
    },
  },
  {
    id: "01.count_trainable_parameters",
    points: 2,
    title: "Count trainable parameters",
    uses: ["countTrainableParameters"],
    // Two random models (hundreds to thousands of parameters each, one with random parts
    // frozen): a fixed pair of answers matches both with probability below 1e-3.
    run: async ({ student, fx }) => {
      const parts = [
        "distilbert.embeddings.",
        "distilbert.transformer.layer.0.",
        "pre_classifier.",
      ];
      const frozen = fx.shuffled(parts).slice(0, fx.int(1, parts.length));
      const all = distilbertRecipe(fx, randomConfig(fx));
      const some = distilbertRecipe(fx, randomConfig(fx), { frozen });
      const count = (m: { params: Map<string, { trainable: boolean; size: number }> }) =>
        [...m.params.values()].filter((p) => p.trainable).reduce((s, p) => s + p.size, 0);
      const [wantAll, wantSome] = [await onModel(all, count), await onModel(some, count)];
      const f = "countTrainableParameters";
      const gotAll = await onStudentModel(student, f, all, `${f}(a model, all trainable)`);
      const what = `with ${frozen.join(", ")} frozen (variable.trainable = false)`;
      const gotSome = await onStudentModel(student, f, some, what);
      return partial([
        {
          ok: gotAll === wantAll,
          message: `all trainable: expected ${wantAll}, got ${show(gotAll)}`,
        },
        {
          ok: gotSome === wantSome,
          message: `${what}: expected ${wantSome}, got ${show(gotSome)}`,
        },
      ]);
    },
  },
  {
    id: "01.size_mb",
    points: 1,
    title: "Size in MB at 4, 2 or 1 bytes per parameter",
    uses: ["sizeInMB"],
    // n is drawn from 9·10^7 values: a fixed answer matches with probability ~1e-8. Throwing
    // on an unknown dtype is secondary.
    run: async ({ student, fx }) => {
      const n = fx.int(100_000, 90_000_000);
      const parts = [];
      // The default is float32; F16 (how the course ships its models) and INT8 halve it twice.
      for (
        const [args, bytes] of fx.shuffled<[Arg[], number]>([
          [[n], 4],
          [[n, "F32"], 4],
          [[n, "F16"], 2],
          [[n, "INT8"], 1],
        ])
      ) {
        const what = `sizeInMB(${args.map((a) => show(a)).join(", ")})`;
        const got = value(await call(student, "sizeInMB", args), what);
        parts.push({
          ok: typeof got === "number" && Math.abs(got - n * bytes / 1e6) <= 1e-9 * n,
          message: `${what}: expected ${
            n * bytes / 1e6
          } (${bytes} byte(s) each, MB = 10^6 bytes), got ${show(got)}`,
        });
      }
      const unknown = fx.pick(["F64", "BF8", "int4"]);
      const out = await call(student, "sizeInMB", [n, unknown]);
      parts.push({
        ok: out.threw !== undefined,
        secondary: true,
        message: `sizeInMB(${n}, ${show(unknown)}) must throw (an unknown dtype), got ${
          show(out.threw === undefined ? out.value : out.threw)
        }`,
      });
      return partial(parts);
    },
  },
  {
    id: "01.count_heads",
    points: 2,
    title: "Count attention heads (also after pruning)",
    uses: ["countAttentionHeads"],
    // Three random configs, each asked unpruned and pruned (6 counts from 4 to 36): a fixed
    // answer matches all six with probability far below 1e-3. The head size never equals the
    // head count, so rows / n_heads is told apart from rows / head size.
    run: async ({ student, fx }) => {
      const f = "countAttentionHeads";
      const parts = [];
      for (let k = 0; k < 3; k++) {
        const n_heads = fx.int(2, 6);
        const size = fx.pick([2, 3, 4, 5, 6].filter((s) => s !== n_heads));
        const config = randomConfig(fx, { n_heads, dim: n_heads * size, n_layers: fx.int(2, 5) });
        const full = distilbertRecipe(fx, config);
        const plan = randomPrunedHeads(fx, config);
        const pruned = distilbertRecipe(fx, { ...config, pruned_heads: plan });
        const heads = config.n_layers! * n_heads;
        const removed = Object.values(plan).reduce((s, h) => s + h.length, 0);
        const gotFull = await onStudentModel(student, f, full, `${f}(unpruned model)`);
        const gotPruned = await onStudentModel(student, f, pruned, `${f}(pruned model)`);
        parts.push(
          {
            ok: gotFull === heads,
            message:
              `unpruned ${config.n_layers}x${n_heads} model (head size ${size}): expected ${heads}, got ${
                show(gotFull)
              }`,
          },
          {
            ok: gotPruned === heads - removed,
            message: `the same model after pruning ${removed} heads (${show(plan)}): expected ${
              heads - removed
            }, got ${show(gotPruned)}`,
          },
        );
      }
      return partial(parts);
    },
  },
  {
    id: "01.parameters_by_component",
    points: 3,
    title: "Parameters by component",
    uses: ["parametersByComponent"],
    // Five counts of a random pruned model, each over hundreds of values: a fixed answer
    // passes with probability far below 1e-3.
    run: async ({ student, fx }) => {
      const recipe = prunedRecipe(fx);
      const want = await onModel(recipe, (m) => parameterBreakdown(m));
      const got = await onStudentModel(
        student,
        "parametersByComponent",
        recipe,
        "parametersByComponent(a random pruned model)",
      ) as Record<string, Plain>;
      if (!got || typeof got !== "object" || Array.isArray(got)) {
        return fail(`expected an object like ${show(want)}, got ${show(got)}`);
      }
      return partial(
        Object.entries(want).map(([k, v]) => ({
          ok: got[k] === v,
          message: `${k}: expected ${v}, got ${show(got[k])}`,
        })),
      );
    },
  },
  {
    id: "01.per_head_and_neuron",
    points: 2,
    title: "Parameters per head and per FFN neuron",
    uses: ["parametersPerHead", "parametersPerNeuron"],
    // Three random configs (2-8 heads of size 2-8): per head takes 49 values, per neuron
    // the width's; a fixed answer passes all six core parts with probability below 1e-4.
    // DistilBERT-base's numbers (the notebook's printed example) are secondary.
    run: async ({ student, fx }) => {
      const ask = async (name: string, c: Plain, what: string) =>
        value(await call(student, name, [c]), what);
      const parts = [];
      for (let k = 0; k < 3; k++) {
        // Reference from the counts: what one head / one neuron adds to a model.
        const n_heads = fx.int(2, 8);
        const raw = randomConfig(fx, { n_heads, dim: n_heads * fx.int(2, 8) });
        const config = parseConfig(raw as Record<string, unknown>) as unknown as Plain;
        const seed = fx.int(1, 1000);
        const count = (extra: Partial<DistilBertConfig>) =>
          onModel(
            { recipe: "distilbert", config: { ...raw, ...extra }, seed },
            (m) => m.numParameters(),
          );
        const full = await count({});
        const oneHeadLess = await count({
          pruned_heads: { [String(fx.int(0, raw.n_layers! - 1))]: [fx.int(0, n_heads - 1)] },
        });
        const dims = Array.from({ length: raw.n_layers! }, () => raw.hidden_dim!);
        dims[fx.int(0, raw.n_layers! - 1)]--;
        const oneNeuronLess = await count({ pruning_lab_ffn_dims: dims });
        const perHead = await ask("parametersPerHead", config, "parametersPerHead(config)");
        const perNeuron = await ask("parametersPerNeuron", config, "parametersPerNeuron(config)");
        parts.push(
          {
            ok: perHead === full - oneHeadLess,
            message: `per head (dim ${raw.dim}, ${n_heads} heads): expected ${
              full - oneHeadLess
            }, got ${show(perHead)}`,
          },
          {
            ok: perNeuron === full - oneNeuronLess,
            message: `per neuron (dim ${raw.dim}): expected ${full - oneNeuronLess}, got ${
              show(perNeuron)
            }`,
          },
        );
      }
      const base = distilbertBaseConfig() as unknown as Plain;
      const baseHead = await ask("parametersPerHead", base, "parametersPerHead(DistilBERT-base)");
      const baseNeuron = await ask(
        "parametersPerNeuron",
        base,
        "parametersPerNeuron(DistilBERT-base)",
      );
      const size = 768 / 12;
      parts.push(
        {
          ok: baseHead === 4 * 768 * size + 3 * size,
          secondary: true,
          message: `per head for DistilBERT-base: expected ${4 * 768 * size + 3 * size}, got ${
            show(baseHead)
          }`,
        },
        {
          ok: baseNeuron === 2 * 768 + 1,
          secondary: true,
          message: `per neuron for DistilBERT-base: expected ${2 * 768 + 1}, got ${
            show(baseNeuron)
          }`,
        },
      );
      return partial(parts);
    },
  },
]);
