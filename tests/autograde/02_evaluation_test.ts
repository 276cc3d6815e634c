// Autograde tests of notebook 02_evaluation: one test per TODO, grading PRUNING_LAB_NOTEBOOK or
// solutions/02_evaluation.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/02_evaluation.ipynb",
  courseChecks().filter((c) => c.id.startsWith("02.")),
);
