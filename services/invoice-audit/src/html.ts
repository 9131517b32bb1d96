// HTML escaping for server-rendered pages: every value from an invoice or a request goes
// through `escapeHtml` (text and attribute values alike).

const entities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (ch) => entities[ch]!);
}

/** A tagged template that escapes every interpolated value unless it is `raw(...)`. */
export function html(strings: TemplateStringsArray, ...values: readonly (string | number | Raw | readonly Raw[])[]): Raw {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += Array.isArray(value) ? value.map((v: Raw) => v.html).join('') : value instanceof Raw ? value.html : escapeHtml(value as string | number);
    out += strings[i + 1]!;
  });
  return new Raw(out);
}

export class Raw {
  constructor(readonly html: string) {}
}

export function raw(markup: string): Raw {
  return new Raw(markup);
}
