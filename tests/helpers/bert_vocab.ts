// bert-base-uncased's vocabulary (vocab.txt lines, in id order) read from the tokenizer.json
// the embedded model ships, for tests that need a vocab.txt-only folder or a cut-down vocab.
import { join } from "node:path";
import { EMBEDDED } from "./paths.ts";

/**
 * The WordPiece vocabulary of the embedded model's tokenizer, one token per id.
 *
 * @example
 * ```ts
 * const vocab = await bertVocab();
 * vocab[101]; // "[CLS]"
 * ```
 */
export async function bertVocab(): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(join(EMBEDDED, "tokenizer.json")));
  const entries = Object.entries(json.model.vocab as Record<string, number>);
  const tokens: string[] = new Array(entries.length);
  for (const [token, id] of entries) tokens[id] = token;
  if (tokens.some((t) => t === undefined)) throw new Error("tokenizer.json: vocab ids have gaps");
  return tokens;
}

/**
 * The vocabulary as the text of a `vocab.txt` file (one token per line).
 *
 * @example
 * ```ts
 * await Deno.writeTextFile(join(dir, "vocab.txt"), await bertVocabTxt());
 * ```
 */
export async function bertVocabTxt(): Promise<string> {
  return (await bertVocab()).join("\n") + "\n";
}
