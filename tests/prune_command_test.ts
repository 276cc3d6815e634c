// `deno task prune` as a user runs it: a bad argument is one line naming it and writes nothing;
// a failure after loading leaves nothing behind either; a run writes a complete model folder
// (config, weights, tokenizer, card with the measured accuracy, onnx/ with the int8 model).
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { FIXTURES } from "./helpers/paths.ts";
import { runTool } from "./helpers/tool.ts";

const DIR = join(FIXTURES, "hf-interop");
const BASE = join(DIR, "base");

Deno.test("bad arguments: one line naming the argument, exit 2, nothing written", async () => {
  const root = await Deno.makeTempDir();
  const out = join(root, "out");
  const cases: [string[], string][] = [
    [["--heads", "{0: [1]}"], "--heads {0: [1]}: not JSON"],
    [["--heads", '{"0": [1.5]}'], "--heads"],
    [["--heads", '{"0":[1]}', "--heads-rate", "0.3"], "--heads and --heads-rate"],
    [["--heads-rate", "1.5"], "--heads-rate 1.5: expected a fraction in [0, 1)"],
    [["--heads-rate", "0.3", "--importance", "random"], "--importance random: expected"],
    [["--importance", "entropy"], "--importance: only used with --heads-rate"],
    [["--ffn-rate", "abc"], "--ffn-rate abc: expected a fraction"],
    [["--ffn-rate", "0.5", "--ffn-scope", "row"], "--ffn-scope row: expected layer, global"],
    [["--layout", "sparse"], "--layout sparse: expected compact, dense"],
    [["--dtype", "F8"], "--dtype F8: expected F32, F16"],
    [["--vocab", join(root, "missing.txt")], `--vocab ${join(root, "missing.txt")}: cannot read`],
    [["--eval", root], `--eval ${root}: cannot read`],
    [["--bogus"], "--bogus: unknown option; expected one of --model, --out"],
  ];
  for (const [args, expected] of cases) {
    const { code, err } = await runTool("prune", "--model", BASE, "--out", out, ...args);
    const lines = err.trim().split("\n");
    assert.strictEqual(code, 2, `${args.join(" ")}: exit code (${err})`);
    assert.strictEqual(lines.length, 1, `${args.join(" ")}: one line, got ${err}`);
    assert.ok(lines[0].startsWith(`prune: ${expected}`), `${args.join(" ")}: ${lines[0]}`);
  }
  const missing = await runTool("prune", "--model", BASE, "--heads", '{"0":[1]}');
  assert.strictEqual(missing.err.trim(), "prune: --out: missing; expected the folder to write");
  const busy = await runTool("prune", "--model", BASE, "--heads", '{"0":[1]}', "--out", DIR);
  assert.strictEqual(
    busy.err.trim(),
    `prune: --out ${DIR}: exists and is not empty; choose a new folder`,
  );
  assert.deepStrictEqual([...Deno.readDirSync(root)], [], "nothing written");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a failure after loading leaves no folder behind", async () => {
  const root = await Deno.makeTempDir();
  const out = join(root, "out");
  const { code, err } = await runTool(
    "prune",
    "--model",
    BASE,
    "--heads",
    '{"7":[0]}',
    "--out",
    out,
  );
  assert.strictEqual(code, 1);
  assert.strictEqual(err.trim(), 'prune: pruning plan: layer "7" does not exist (the model has 2)');
  assert.deepStrictEqual([...Deno.readDirSync(root)], [], "nothing written");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a run writes a complete folder: weights, tokenizer, card with accuracy, onnx/ int8", async () => {
  const root = await Deno.makeTempDir();
  const out = join(root, "pruned");
  const { code, out: stdout, err } = await runTool(
    "prune",
    ...["--model", BASE, "--heads-rate", "0.25", "--importance", "entropy"],
    ...["--calibration", join(DIR, "calibration.csv"), "--ffn-rate", "0.5"],
    ...["--ffn-importance", "weight-norm", "--ffn-scope", "global", "--int8"],
    ...["--eval", join(DIR, "sentences.csv"), "--out", out],
  );
  assert.strictEqual(code, 0, err);
  assert.ok(stdout.includes("heads per layer"), stdout);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepStrictEqual(names, [
    "README.md",
    "config.json",
    "model.safetensors",
    "onnx",
    "tokenizer.json",
    "tokenizer_config.json",
  ]);
  const onnx = [...Deno.readDirSync(join(out, "onnx"))].map((e) => e.name).sort();
  assert.deepStrictEqual(onnx, ["model.onnx", "model_quantized.onnx"]);
  const card = await Deno.readTextFile(join(out, "README.md"));
  assert.match(
    card,
    /\| accuracy on sentences\.csv \(5 sentences\) \| \d+\.\d\d% \| \d+\.\d\d% \|/,
  );
  assert.match(card, /heads: 2 of 8 \(25%\) removed, lowest entropy importance over the model/);
  assert.match(
    card,
    /FFN neurons: 32 of 64 \(50%\) removed, lowest weight-norm importance over the model/,
  );
  const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  assert.strictEqual(config.dtype, "float32");
  assert.deepStrictEqual([...Deno.readDirSync(root)].map((e) => e.name), ["pruned"]);
  await Deno.remove(root, { recursive: true });
});
