/* How PostgreSQL refusals during an import are told apart. */

/** The unique index refused a row: its organization already has a row of that hash. */
export function isPresentRow(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'expenses_row_hash_key';
}

/**
 * The row hash a refusal names, as 32 hexadecimal digits: its detail reads "Key
 * (organization_id, row_hash)=(<uuid>, <uuid>) already exists." in any server language.
 */
export function presentRowHash(error: unknown): string | undefined {
  const detail = (error as { detail?: unknown }).detail;
  const match = typeof detail === 'string' ? /, ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)/.exec(detail) : null;
  return match?.[1].replace(/-/g, '');
}

/** Another import committed some of the same rows while this one ran: a retry skips them. */
export function lostImportRace(error: unknown): boolean {
  return isPresentRow(error) || (error as { code?: string }).code === '40P01';
}
