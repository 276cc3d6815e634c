// Autograde tests of notebook 04_head_pruning: one test per TODO, grading
// PRUNING_LAB_NOTEBOOK or solutions/04_head_pruning.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/04_head_pruning.ipynb",
  courseChecks().filter((c) => c.id.startsWith("04.")),
);
