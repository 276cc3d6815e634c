// The course layer: the checks of each notebook, the written questions, the input recipes the
// checks use and the course-reference marker.
export * from "./recipes.ts";
export * from "./reference.ts";
export * from "./tiny_distilbert.ts";
export * from "./written_questions.ts";
export * from "./checks/mod.ts";
