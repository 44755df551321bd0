// Names that tell inspected images apart in the table, the CSV and the overlay ZIP: the path inside the dropped
// or picked folder when the browser gives one, otherwise the file name with a " (2)" suffix, as a file manager does.

/**
 * One display name per path, unique among themselves and never one of `taken` (the names already shown).
 *
 * Folders every path starts with are dropped ("test/crack/000.png", "test/good/000.png" become "crack/000.png",
 * "good/000.png"), but only as far as no name lands on a taken one: a folder added after another keeps its folder
 * name instead of a suffix. Names still alike (two loose "000.png") are numbered by numberDuplicates.
 */
export function uniqueNames(paths: readonly string[], taken: Iterable<string> = []): string[] {
  const used = new Set(taken);
  const segments = paths.map((p) => p.split('/'));

  // Leading folders shared by every path (never the file name itself).
  let common = 0;
  if (segments.length > 0) {
    const shortest = segments.reduce((m, s) => Math.min(m, s.length - 1), Infinity);
    while (common < shortest && segments.every((s) => s[common] === segments[0][common])) common++;
  }
  let names = segments.map((s) => s.join('/'));
  for (let k = common; k > 0; k--) {
    const stripped = segments.map((s) => s.slice(k).join('/'));
    if (!stripped.some((n) => used.has(n))) {
      names = stripped;
      break;
    }
  }
  return numberDuplicates(names, used);
}

/**
 * The names with every repeat, or name in `taken`, numbered " (2)", " (3)", ... before the extension. Names that are
 * free keep themselves first, so a suffix never takes a name another item really has.
 */
export function numberDuplicates(names: readonly string[], taken: Iterable<string> = []): string[] {
  const used = new Set(taken);
  const out: (string | null)[] = names.map((n) => {
    if (used.has(n)) return null;
    used.add(n);
    return n;
  });
  return names.map((n, i) => {
    if (out[i] !== null) return out[i];
    const slash = n.lastIndexOf('/');
    const dot = n.lastIndexOf('.');
    const cut = dot > slash + 1 ? dot : n.length;
    let candidate = n;
    for (let k = 2; used.has(candidate); k++) candidate = `${n.slice(0, cut)} (${k})${n.slice(cut)}`;
    used.add(candidate);
    return candidate;
  });
}
