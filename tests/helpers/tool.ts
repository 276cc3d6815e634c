// Runs one of the project's command-line tools (tools/<name>.ts) as a user would.
import { join } from "node:path";
import { ROOT } from "./paths.ts";

/**
 * Runs `deno run -A tools/<name>.ts ...args` from the repository root.
 *
 * @example
 * ```ts
 * const { code, out } = await runTool("evaluate", "--json");
 * ```
 */
export async function runTool(
  name: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tools", `${name}.ts`), ...args],
    cwd: ROOT,
  }).output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}
