export function clean(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
