// Autograde tests of notebook 06_compression_pipeline: one test per TODO, grading
// PRUNING_LAB_NOTEBOOK or solutions/06_compression_pipeline.ipynb in the grader's sandbox.
import { autogradeTests } from "../helpers/autograde.ts";
import { courseChecks } from "lib/course/checks/mod.ts";

autogradeTests(
  "solutions/06_compression_pipeline.ipynb",
  courseChecks().filter((c) => c.id.startsWith("06.")),
);
