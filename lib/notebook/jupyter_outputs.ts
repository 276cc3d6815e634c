// Keeps every cell's outputs under that cell in the Deno Jupyter kernel. Deno's kernel (2.9.6)
// picks an output's parent cell when its message leaves the kernel, not when the cell made
// it: a result, display or console line still queued when the cell finishes is attributed to
// whichever cell the front end sent next (JupyterLab's Run All sends them all at once). Ending
// every cell with one turn of the event loop sends those messages while their cell is still
// current. See README, "Known issues".

/** Marks the kernel's result publisher once wrapped, so importing twice wraps once. */
const WRAPPED = Symbol.for("pruning-lab.outputsStayWithTheirCell");

/** How long each cell's end waits for its queued outputs to leave (one timer turn). */
const FLUSH_MS = 2;

// The kernel publishes a cell's value by calling `Deno[Deno.internal].jupyter.broadcastResult`
// (looked up at every call), after the cell has run and before it reports the cell done.
type Publisher = ((executionCount: number, result: unknown) => Promise<void>) & {
  [WRAPPED]?: true;
};

/**
 * Makes the running Deno Jupyter kernel flush each cell's outputs before the cell ends; does
 * nothing outside a kernel. Returns whether the kernel's publisher is wrapped (now or before).
 *
 * @example
 * ```ts
 * keepOutputsWithTheirCell(); // true in a notebook, false under `deno run`
 * ```
 */
export function keepOutputsWithTheirCell(): boolean {
  // deno-lint-ignore no-explicit-any
  const internal = (Deno as any)[(Deno as any).internal];
  const jupyter = internal?.jupyter as { broadcastResult?: Publisher } | undefined;
  const publish = jupyter?.broadcastResult;
  if (!jupyter || typeof publish !== "function") return false;
  if (publish[WRAPPED]) return true;
  const wrapped: Publisher = async (executionCount, result) => {
    try {
      await publish(executionCount, result);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    }
  };
  wrapped[WRAPPED] = true;
  jupyter.broadcastResult = wrapped;
  return true;
}
