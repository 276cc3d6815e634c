// Autograde tests of the sample notebook: one test per TODO, on PRUNING_LAB_NOTEBOOK or the
// sample solution. (The course notebooks get one such file each: NN_<name>_test.ts.)
import { join } from "node:path";
import { autogradeTests } from "../helpers/autograde.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";
import checks from "../fixtures/checks/00_sample.ts";

autogradeTests("tests/fixtures/solutions/00_sample.ipynb", checks, [
  join(PROJECT_ROOT, "tests", "fixtures", "checks", "00_sample.ts"),
]);
