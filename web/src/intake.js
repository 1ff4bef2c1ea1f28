// Intake (导入线索) helpers shared by the import, batch and DNC pages: pure functions, unit-tested.

export const COLUMN_ROLES = ['phone', 'name', 'area', 'attribute', 'ignore']
export const QUALITIES = ['A', 'B', 'C']
export const BUCKETS = ['imported', 'invalid', 'duplicate_in_file', 'duplicate_existing', 'dnc']
export const INVALID_REASONS = ['missing_phone', 'empty', 'excel_float', 'too_short', 'too_long', 'invalid_number', 'not_a_number']
export const PHASES = ['reading', 'checking', 'saving', 'done']
export const ACCEPT = ['.xlsx', '.xls', '.csv', '.txt']

/** "2026年11月 名单.v2.xlsx" -> "2026年11月 名单.v2" */
export function baseName(fileName) {
  const name = String(fileName || '').split(/[\\/]/).pop()
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(0, dot) : name
}

/** Is this a file the importer reads (by extension)? */
export function acceptedFile(fileName) {
  const lower = String(fileName || '').toLowerCase()
  return ACCEPT.some((ext) => lower.endsWith(ext))
}

/** The column roles to start from: the server's suggestion, unknown roles become "attribute". */
export function initialRoles(columns) {
  const roles = {}
  for (const c of columns || []) roles[c.index] = COLUMN_ROLES.includes(c.role) ? c.role : 'attribute'
  return roles
}

/**
 * Columns to show in the preview: those the server named plus any further cells in the rows
 * (a row may be wider than the header).
 */
export function previewColumns(preview) {
  const cols = new Map()
  for (const c of preview?.columns || []) cols.set(c.index, { index: c.index, header: c.header ?? '' })
  const width = Math.max(0, ...(preview?.rows || []).map((r) => r.length))
  for (let i = 0; i < width; i++) if (!cols.has(i)) cols.set(i, { index: i, header: '' })
  return [...cols.values()].sort((a, b) => a.index - b.index)
}

/** The `mapping` field of POST /imports: every column with its role. */
export function buildMapping(headerRow, columns, roles) {
  return {
    header_row: Number(headerRow) || 0,
    columns: columns.map((c) => ({ index: c.index, role: roles[c.index] || 'attribute' })),
  }
}

/** Problems with a mapping before it is sent: 'no_phone' | null. */
export function mappingProblem(roles) {
  const phones = Object.values(roles || {}).filter((r) => r === 'phone').length
  if (phones === 0) return 'no_phone'
  return null
}

/** Sum of the five buckets of an import report. */
export function bucketTotal(report) {
  return BUCKETS.reduce((sum, b) => sum + (Number(report?.[b]) || 0), 0)
}

/** invalid_reasons {code: count} -> [{ code, count, known }] sorted by count (most first). */
export function reasonList(reasons) {
  return Object.entries(reasons || {})
    .map(([code, count]) => ({ code, count: Number(count) || 0, known: INVALID_REASONS.includes(code) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
}

/** A random id for the progress of one import. */
export function newProgressId() {
  const c = globalThis.crypto
  if (c?.randomUUID) return c.randomUUID()
  const bytes = new Uint8Array(16)
  c.getRandomValues(bytes)
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** 1234567 -> "1.2 MB" */
export function formatBytes(n) {
  const v = Number(n) || 0
  if (v < 1024) return `${v} B`
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KB`
  return `${(v / 1024 / 1024).toFixed(1)} MB`
}
