// Model and data resolution against a local fake hub: download once, cache hits make no
// request, 404 names repo and file, a cut download leaves no partial file behind.
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { assert, assertClose } from "./helpers/assert.ts";
import { sst2Mirror, TINY } from "./helpers/paths.ts";
import { bertVocabTxt } from "./helpers/bert_vocab.ts";
import { startFakeHub } from "./helpers/hub_server.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadModel, resolveModelDir } from "lib/model/loading.ts";
import { hubDownload } from "lib/io/hub.ts";
import { loadSst2 } from "lib/data/sst2.ts";

await initTf();
const golden = JSON.parse(await Deno.readTextFile(join(TINY, "golden.json")));

const REPO = "test-org/distilbert-tiny";
const files = new Map<string, Uint8Array<ArrayBuffer>>([
  [`/${REPO}/resolve/main/config.json`, await Deno.readFile(join(TINY, "model", "config.json"))],
  [
    `/${REPO}/resolve/main/model.safetensors`,
    await Deno.readFile(join(TINY, "model", "model.safetensors")),
  ],
  [
    `/${REPO}/resolve/main/vocab.txt`,
    new TextEncoder().encode(await bertVocabTxt()),
  ],
]);

/** Runs `f` with a fresh cache and HF_ENDPOINT pointing at a fake hub. */
async function withHub(f: (hub: ReturnType<typeof startFakeHub>, cache: string) => Promise<void>) {
  const hub = startFakeHub(files);
  const cache = await Deno.makeTempDir();
  const saved = ["HF_ENDPOINT", "PRUNING_LAB_CACHE", "PRUNING_LAB_DATA_MIRROR"].map((
    k,
  ) => [k, Deno.env.get(k)]);
  Deno.env.set("HF_ENDPOINT", hub.endpoint);
  Deno.env.set("PRUNING_LAB_CACHE", cache);
  Deno.env.delete("PRUNING_LAB_DATA_MIRROR");
  try {
    await f(hub, cache);
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k!) : Deno.env.set(k!, v);
    await hub.close();
    await Deno.remove(cache, { recursive: true });
  }
}

Deno.test("a hub repo downloads once, loads, and matches the golden logits", async () => {
  await withHub(async (hub) => {
    const first = await loadModel(REPO);
    const { logits } = first.model.forward(
      tf.tensor2d(golden.input_ids, undefined, "int32"),
      tf.tensor2d(golden.attention_mask, undefined, "int32"),
    );
    assertClose(logits.dataSync(), golden.logits.flat(), 1e-4, "downloaded model logits");
    assert.deepStrictEqual(first.tokenizer.encode("Hello World"), [101, 7592, 2088, 102]);
    const made = hub.requests.length;
    assert.ok(made >= 3, `expected downloads, saw ${hub.requests}`);
    const second = await loadModel(REPO);
    assert.strictEqual(hub.requests.length, made, "a second load must not request anything");
    first.model.dispose();
    second.model.dispose();
  });
});

Deno.test("a missing repo is one clear error naming repo and file", async () => {
  await withHub(async () => {
    await assert.rejects(
      resolveModelDir("test-org/no-such-model"),
      /test-org\/no-such-model: file config\.json not found on the hub \(404/,
    );
  });
});

Deno.test("a download cut in the middle leaves no file that a later load trusts", async () => {
  await withHub(async (hub, cache) => {
    const path = `/${REPO}/resolve/main/model.safetensors`;
    hub.cut.add(path);
    await assert.rejects(
      hubDownload(REPO, "model.safetensors", { progress: false }),
      /broke off|incomplete/,
    );
    const dir = join(cache, "hub", "models", REPO, "main");
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepStrictEqual(left, [], `left behind: ${left}`);
    hub.cut.clear();
    const file = await hubDownload(REPO, "model.safetensors", { progress: false });
    assert.deepStrictEqual(await Deno.readFile(file), files.get(path));
  });
});

Deno.test("SST-2 downloads from the hub as parquet when there is no mirror", async () => {
  const parquet = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "idx", data: [0, 1, 2], type: "INT32" },
      {
        name: "sentence",
        data: ["a gorgeous film ", "dull , dull , dull ", "fine"],
        type: "STRING",
      },
      { name: "label", data: [1n, 0n, 1n], type: "INT64" },
    ],
  }));
  files.set(
    "/datasets/stanfordnlp/sst2/resolve/main/data/validation-00000-of-00001.parquet",
    parquet,
  );
  await withHub(async (hub) => {
    const dev = await loadSst2("validation");
    assert.deepStrictEqual(dev, [
      { sentence: "a gorgeous film", label: 1 },
      { sentence: "dull , dull , dull", label: 0 },
      { sentence: "fine", label: 1 },
    ]);
    const n = hub.requests.length;
    await loadSst2("validation");
    assert.strictEqual(hub.requests.length, n, "cached parquet must not be fetched again");
  });
});

Deno.test("no SST-2 source at all gives one message naming both", async () => {
  await withHub(async () => {
    await assert.rejects(loadSst2("train"), /no mirror \(set PRUNING_LAB_DATA_MIRROR.*404/);
  });
});

const mirror = sst2Mirror();
Deno.test({
  name: mirror
    ? "the mirror serves SST-2 train and dev with GLUE's counts"
    : "the mirror serves SST-2 train and dev with GLUE's counts (skipped: PRUNING_LAB_DATA_MIRROR " +
      "names no folder with sst2/dev.tsv)",
  ignore: !mirror,
  fn: async () => {
    const saved = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
    Deno.env.set("PRUNING_LAB_DATA_MIRROR", mirror!);
    try {
      const dev = await loadSst2("validation");
      const train = await loadSst2("train");
      assert.strictEqual(dev.length, 872);
      assert.strictEqual(dev.filter((r) => r.label === 1).length, 444);
      assert.strictEqual(train.length, 67349);
      assert.strictEqual(train.filter((r) => r.label === 0).length, 29780);
    } finally {
      saved === undefined
        ? Deno.env.delete("PRUNING_LAB_DATA_MIRROR")
        : Deno.env.set("PRUNING_LAB_DATA_MIRROR", saved);
    }
  },
});

Deno.test("a local folder and a bad name resolve as expected", async () => {
  assert.strictEqual(await resolveModelDir(join(TINY, "model")), join(TINY, "model"));
  await assert.rejects(
    resolveModelDir("./no/such folder!"),
    /not a model folder .* nor a hub repo id/,
  );
});
