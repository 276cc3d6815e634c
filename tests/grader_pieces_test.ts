// The grading core's pieces on their own: reading results as plain data, fresh fixtures, the
// delegation counters, local probes, the scoring rule, the virtual clock, folder names and
// escaping in reports.
import { assert } from "./helpers/assert.ts";
import { runProbe } from "lib/grader/shared/probe.ts";
import { plain } from "lib/grader/shared/plain.ts";
import "lib/course/recipes.ts";
import { fixtures } from "lib/grader/api/fixtures.ts";
import {
  COURSE_REFERENCES,
  courseReference,
  installReferenceCounters,
  REFERENCE_SLOT_COUNT,
  referenceCalls,
} from "lib/course/reference.ts";
import { localStudent } from "lib/grader/api/local_student.ts";
import { call, expectEqual, partial, runCheck, sameValue, value } from "lib/grader/api/check.ts";
import { escapeMarkdown, FolderNames } from "lib/grader/parent/report.ts";
import { spearman } from "lib/evaluation/stats.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import checks03 from "lib/course/checks/03_head_importance.ts";

Deno.test("plain(): typed arrays, tensors, maps, odd numbers and hostile objects become data", async () => {
  await initTf();
  assert.deepStrictEqual(plain(new Float32Array([1, 2])), {
    typed: "Float32Array",
    values: [1, 2],
  });
  assert.deepStrictEqual(plain(BigInt64Array.from([3n])), { typed: "BigInt64Array", values: [3] });
  assert.deepStrictEqual(plain([NaN, Infinity, undefined]), [{ number: "NaN" }, {
    number: "Infinity",
  }, { undefined: true }]);
  assert.deepStrictEqual(plain(new Map([["a", 1]])), { map: [["a", 1]] });
  const t = tf.tensor2d([[1, 2]]);
  assert.deepStrictEqual(plain(t), { tensor: { shape: [1, 2], dtype: "float32", values: [1, 2] } });
  t.dispose();
  // A patched toJSON or JSON.stringify does not change what is read.
  const saved = JSON.stringify;
  try {
    (JSON as { stringify: unknown }).stringify = () => "forged";
    assert.deepStrictEqual(plain({ a: [1] }), { a: [1] });
  } finally {
    JSON.stringify = saved;
  }
  // Runaway answers are cut, not read forever.
  const cut = plain(new Array(300_000).fill(1)) as unknown[];
  assert.ok(cut.length < 300_000);
});

Deno.test("fixtures: the same seed and check give the same inputs; another seed others", () => {
  const a = fixtures(7, "00.mean");
  const b = fixtures(7, "00.mean");
  const c = fixtures(8, "00.mean");
  const draw = (f: ReturnType<typeof fixtures>) => [f.int(0, 1000), f.real(0, 1), f.sample(10, 3)];
  assert.deepStrictEqual(draw(a), draw(b));
  assert.notDeepStrictEqual(draw(fixtures(7, "00.mean")), draw(c));
  assert.deepStrictEqual(fixtures(1, "x").sample(5, 5), [0, 1, 2, 3, 4]);
});

Deno.test("delegation: marked functions count their calls; counters install once; every listed TODO has a slot", () => {
  const f = courseReference("03.spearman", (x: number) => x + 1);
  const before = referenceCalls("03.spearman");
  assert.strictEqual(f(1), 2);
  assert.strictEqual(referenceCalls("03.spearman"), before + 1);
  assert.throws(() => courseReference("99.none", () => 0), /not listed/);
  assert.strictEqual(REFERENCE_SLOT_COUNT, Object.keys(COURSE_REFERENCES).length);
  installReferenceCounters(new SharedArrayBuffer(4 * REFERENCE_SLOT_COUNT));
  assert.throws(() => installReferenceCounters(new SharedArrayBuffer(64)), /already installed/);
  spearman([1, 2, 3], [3, 2, 1]);
  // spearman and the two ranks it takes: all in the installed memory.
  assert.strictEqual(referenceCalls("03.spearman"), 3, "counts land in the installed memory");
});

Deno.test("a local check: a correct answer passes, a delegating one scores 0 with the rule", async () => {
  const check = checks03.find((c) => c.id === "03.spearman")!;
  const fx = () => fixtures(3, check.id);
  const own = await runCheck(check, {
    student: localStudent({
      spearmanCorrelation: (a: number[], b: number[]) => {
        const rank = (v: number[]) =>
          v.map((x) => v.filter((y) => y < x).length + (v.filter((y) => y === x).length + 1) / 2);
        const [ra, rb] = [rank(a), rank(b)];
        const m = (r: number[]) => r.reduce((s, x) => s + x, 0) / r.length;
        const [ma, mb] = [m(ra), m(rb)];
        const num = ra.reduce((s, x, i) => s + (x - ma) * (rb[i] - mb), 0);
        const den = Math.sqrt(
          ra.reduce((s, x) => s + (x - ma) ** 2, 0) * rb.reduce((s, x) => s + (x - mb) ** 2, 0),
        );
        return num / den;
      },
    }, check.id),
    fx: fx(),
  });
  assert.strictEqual(own.fraction, 1, own.message);
  const delegated = await runCheck(check, {
    student: localStudent({ spearmanCorrelation: spearman }, check.id),
    fx: fx(),
  });
  assert.strictEqual(delegated.fraction, 0);
  assert.match(delegated.message, /course's own implementation of 03\.spearman/);
});

Deno.test("probes: a thrown error, a missing name and a Promise come back as outcomes", async () => {
  const out = await runProbe({
    f: () => {
      throw new Error("bad\nsecond line");
    },
    g: () => Promise.resolve(2),
  }, {
    steps: [{ call: "f" }, { call: "nope" }, { call: "g" }],
  });
  assert.deepStrictEqual(out[0], { threw: "bad", async: false });
  assert.deepStrictEqual(out[1], { missing: "nope" });
  assert.deepStrictEqual(out[2], { value: 2, async: true });
  assert.throws(() => value(out[2], "g()"), /returned a Promise/);
  const student = localStudent({ id: (x: unknown) => x }, "00.id");
  const echoed = value(await call(student, "id", [{ b: 1, a: [2] }]), "id");
  assert.ok(sameValue(echoed, { a: [2], b: 1 }), "key order does not matter");
  assert.strictEqual(expectEqual(echoed, { a: [2], b: 1 }, "id").fraction, 1);
});

Deno.test("reports: colliding folder names get suffixes; messages are one escaped line", () => {
  const names = new FolderNames(["bob"]);
  assert.deepStrictEqual(
    ["alice smith", "alice_smith", "Alice_Smith", "bob", "../x"].map((n) => names.take(n)),
    ["alice_smith", "alice_smith-2", "Alice_Smith-3", "bob-2", "__x"],
  );
  const line = escapeMarkdown("boom\n\n**Score: 20 / 20**\n| a | b |");
  assert.ok(!line.includes("\n"));
  assert.ok(!/(^|[^\\])\*\*/.test(line) && !/(^|[^\\])\|/.test(line), line);
});

Deno.test("scoring rule: a failing core part scores 0 whatever the secondary parts; secondary parts add to a passing core", () => {
  const core = (ok: boolean, weight = 1) => ({ ok, weight, message: `core ${ok}` });
  const extra = (ok: boolean) => ({ ok, secondary: true, message: `extra ${ok}` });
  assert.strictEqual(partial([core(true, 2), core(false), extra(true)]).fraction, 0);
  assert.match(partial([core(false), extra(true)]).message, /^core part failed/);
  assert.strictEqual(partial([core(true, 2), extra(false)]).fraction, 2 / 3);
  assert.strictEqual(partial([core(true, 2), extra(true)]).fraction, 1);
  // Without a core part, every part is one.
  assert.strictEqual(partial([extra(true), extra(false)]).fraction, 0);
});

Deno.test("virtual clock: a clockedRun costs its durations on performance.now() during the probe; the real clock returns after", async () => {
  const real = performance.now;
  const measure = (run: () => void) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      run();
      times.push(performance.now() - t);
    }
    return times;
  };
  const [out, log] = await runProbe({ measure }, {
    objects: { run: { recipe: "clockedRun", durations: [7, 250, 3] } },
    steps: [{ call: "measure", args: [{ ref: "run" }] }, { read: "run", with: "log" }],
  });
  assert.deepStrictEqual([out.value, log.value], [[7, 250, 3], [0, 1, 2]]);
  assert.strictEqual(performance.now, real);
  const t = performance.now();
  assert.ok(performance.now() >= t);
});
