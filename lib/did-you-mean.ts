/** "Did you mean" hints: the closest known name to a misspelt one, when it is close enough to be a typo. */

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

/** Spelling the edit distance cannot see: "k8s" and "kube" are the same word as "kubernetes". */
function expandAbbreviations(key: string): string {
    return key.replace(/k8s|kube(?!rnetes)/gi, "kubernetes").replace(/[-_]/g, "").toLowerCase();
}

/**
 * Suggests the closest known key, when it is within max(2, a third of its length) edits. A key that is a known one
 * with "k8s"/"kube" written out (k8sVersion → kubernetesVersion) is suggested first, so it never gets a shorter,
 * unrelated neighbour ("version").
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
    // No key is this long: no hint, and no quadratic distance over a huge value.
    if (unknown.length > 64) return undefined;
    const expanded = expandAbbreviations(unknown);
    const same = known.find((key) => expandAbbreviations(key) === expanded);
    if (same !== undefined && /k8s|kube/i.test(unknown)) return same;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const key of known) {
        const distance = editDistance(unknown, key);
        if (distance < bestDistance) {
            best = key;
            bestDistance = distance;
        }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}
