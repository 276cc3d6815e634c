// Autograde tests of notebook 03_head_importance: one test per TODO, grading
// PRUNING_LAB_NOTEBOOK or solutions/03_head_importance.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/03_head_importance.ipynb",
  courseChecks().filter((c) => c.id.startsWith("03.")),
);
