// Autograde tests of notebook 01_architecture: one test per TODO, grading PRUNING_LAB_NOTEBOOK or
// solutions/01_architecture.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/01_architecture.ipynb",
  courseChecks().filter((c) => c.id.startsWith("01.")),
);
