// Autograde tests of notebook 05_imp_rewinding: one test per TODO, grading
// PRUNING_LAB_NOTEBOOK or solutions/05_imp_rewinding.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/05_imp_rewinding.ipynb",
  courseChecks().filter((c) => c.id.startsWith("05.")),
);
