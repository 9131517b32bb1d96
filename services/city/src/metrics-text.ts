// Prometheus text expositions of several registries as one: a family's lines must come
// together, under one HELP and one TYPE, so concatenating the services' /metrics texts
// (which share http_requests_total, process_cpu_seconds_total, ...) would be refused by a
// scraper. Series stay apart by their `service` label, which every registry sets.

/** The families of every text, in order of first appearance, each with the samples of all. */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { help: string | undefined; type: string | undefined; samples: string[] }>();
  const familyOf = (name: string) => {
    let family = families.get(name);
    if (family === undefined) {
      family = { help: undefined, type: undefined, samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const text of texts) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: |$)/.exec(line);
      if (meta !== null) {
        current = meta[2]!;
        const family = familyOf(current);
        if (meta[1] === 'HELP') family.help ??= line;
        else family.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample belongs to the family declared above it (histogram _bucket/_sum/_count included).
      familyOf(current ?? sampleName(line)).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const family of families.values()) {
    if (family.help !== undefined) out.push(family.help);
    if (family.type !== undefined) out.push(family.type);
    out.push(...family.samples);
  }
  return `${out.join('\n')}\n`;
}

function sampleName(line: string): string {
  const end = line.search(/[{ ]/);
  return end < 0 ? line : line.slice(0, end);
}
