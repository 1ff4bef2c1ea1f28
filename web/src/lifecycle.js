// Pure helpers of the recycle bin (回收站) and the delete actions on the batches page.

/** The typed confirmations the server accepts for deleting every lead. */
export const DELETE_ALL_PHRASES = ['删除全部线索', 'DELETE ALL']

/** The phrase to show for a UI locale. */
export function deleteAllPhrase(locale) {
  return String(locale || '').startsWith('en') ? 'DELETE ALL' : '删除全部线索'
}

/** True when `typed` is one of the accepted phrases (surrounding spaces ignored, case kept). */
export function isDeleteAllPhrase(typed) {
  return DELETE_ALL_PHRASES.includes(String(typed ?? '').trim())
}

/** GET /leads/by-batch items -> Map(batch_id -> { leads, deleted, live }). */
export function countsByBatch(items) {
  const map = new Map()
  for (const it of items || []) {
    const leads = Number(it.leads) || 0
    const deleted = Number(it.deleted) || 0
    map.set(it.batch_id, { leads, deleted, live: Math.max(0, leads - deleted) })
  }
  return map
}

/** When a batch destroys itself (定时自焚): created_at + retention_days, or null (kept). */
export function purgeDate(batch) {
  const days = Number(batch?.retention_days)
  if (!batch?.created_at || !days || days <= 0) return null
  const t = new Date(batch.created_at).getTime()
  if (Number.isNaN(t)) return null
  return new Date(t + days * 86400 * 1000)
}

/** The delete body for a picked date range ['YYYY-MM-DD', 'YYYY-MM-DD'] (both days included). */
export function dateRangeBody(range) {
  const [from, to] = Array.isArray(range) ? range : []
  const body = {}
  if (from) body.created_from = from
  if (to) body.created_to = to
  return body
}

/** Statuses a lead can have had before it was deleted (keys of lifecycle.status.*). */
export const LEAD_STATUSES = ['new', 'assigned', 'retry', 'callback', 'prospect', 'closed']

/** The i18n key of a status before delete (unknown ones fall back to 'other'). */
export function statusKey(status) {
  return `lifecycle.status.${LEAD_STATUSES.includes(status) ? status : 'other'}`
}
