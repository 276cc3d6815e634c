// The grader layer, a generic autograder: assign (release), api (for check writers), parent
// (grading, sandbox, reports) and shared (probe protocol, plain data). The child's entry points
// (child/supervisor.ts, child/worker.ts) are scripts, not export * from "./api/check.ts";
export * from "./api/fixtures.ts";
export * from "./api/local_student.ts";
export * from "./api/written.ts";
export * from "./assign/release.ts";
export * from "./parent/grade.ts";
export * from "./parent/import_blame.ts";
export * from "./parent/limits.ts";
export * from "./parent/module.ts";
export * from "./parent/report.ts";
export * from "./parent/sandbox.ts";
export * from "./parent/session.ts";
export * from "./parent/sources.ts";
export * from "./parent/submission.ts";
export * from "./shared/builtin_recipes.ts";
export * from "./shared/plain.ts";
export * from "./shared/probe.ts";
export * from "./shared/protocol.ts";
export * from "./shared/recipe_book.ts";
