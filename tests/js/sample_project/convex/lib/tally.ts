// Shared helper: imported by several entry points, so esbuild moves it into a
// `_deps/` chunk. `tally` is reassigned after module evaluation, which makes it
// the live-binding probe of the tests.
export let tally = 0;

export function bump(by: number): number {
  tally += by;
  return tally;
}

export function normalize(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
