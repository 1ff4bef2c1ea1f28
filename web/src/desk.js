// Helpers of the desk (工作台), dealing (分配), agents (坐席) and settings pages; unit-tested.
// No imports of Element Plus here, so that vitest can run them in node.

/** The eight call outcomes, in button order; `key` is the keyboard shortcut. */
export const OUTCOMES = [
  { code: 'interested', key: '1', type: 'success' },
  { code: 'not_interested', key: '2', type: 'info' },
  { code: 'no_answer', key: '3', type: 'warning' },
  { code: 'busy', key: '4', type: 'warning' },
  { code: 'wrong_number', key: '5', type: 'danger' },
  { code: 'callback', key: '6', type: 'primary' },
  { code: 'do_not_call', key: '7', type: 'danger' },
  { code: 'converted', key: '8', type: 'success' },
]
export const OUTCOME_CODES = OUTCOMES.map((o) => o.code)

export const STRATEGIES = ['even', 'weighted', 'quality']
export const DEAL_WARNINGS = [
  'no_leads',
  'no_agents',
  'agent_gets_nothing',
  'not_enough_leads',
  // the public pool: holding caps and cooldowns
  'agent_at_cap',
  'agent_capped',
  'leads_over_cap',
  'leads_in_cooldown',
]
export const AGENT_STATUSES = ['active', 'paused', 'disabled']
export const SETTING_KEYS = [
  'calling_hours',
  'low_stock_threshold',
  'retry_delay_minutes',
  'max_attempts',
  'pull_mode',
  'pull_daily_quota',
  'quality_matrix',
  'duplicate_scope_days',
  'import_max_rows',
  'default_retention_days',
  'phone_default_region',
  'reveal_budget_per_hour',
  // leak controls
  'fast_outcome_seconds',
  'fast_outcome_streak',
  'export_max_rows',
  'desk_masked',
  'unmask_budget_per_day',
  // the public pool (公海) and recycling
  'pool_follow_up_days',
  'pool_convert_days',
  'pool_warn_days',
  'pool_cooldown_days',
  'pool_holding_cap',
]

/** A fresh idempotency key (UUID v4), also outside secure contexts (plain-http LAN installs). */
export function newRequestId() {
  const c = globalThis.crypto
  if (c?.randomUUID) return c.randomUUID()
  const b = new Uint8Array(16)
  c.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Date -> ISO 8601 in local time with the UTC offset, e.g. "2026-11-23T15:30:00+08:00". */
export function isoWithOffset(date) {
  const d = date instanceof Date ? date : new Date(date)
  if (Number.isNaN(d.getTime())) return null
  const p = (n) => String(Math.abs(Math.trunc(n))).padStart(2, '0')
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${sign}${p(off / 60)}:${p(off % 60)}`
  )
}

/** Worth sending again with the same request_id: the request may not have arrived (network) or the server was away. */
export function isRetryable(err) {
  if (err && err.name === 'AbortError') return false
  if (err && typeof err.status === 'number') return err.status >= 502 && err.status <= 504
  return true // fetch's TypeError: no answer at all
}

export const RETRY_DELAYS = [500, 1000, 2000, 4000, 8000]

/**
 * Calls send() until it answers; on a retryable failure waits and calls it again
 * (the caller keeps the same request_id inside send). Other errors, and the last
 * retryable one, are thrown. onRetry(n, err) runs before the n-th extra try.
 */
export async function sendWithRetry(send, { delays = RETRY_DELAYS, onRetry, sleep } = {}) {
  const wait = sleep || ((ms) => new Promise((r) => setTimeout(r, ms)))
  for (let i = 0; ; i++) {
    try {
      return await send()
    } catch (err) {
      if (!isRetryable(err) || i >= delays.length) throw err
      onRetry?.(i + 1, err)
      await wait(delays[i])
    }
  }
}

/** The outcome for a key press (1–8), or null; ignores presses with modifiers and repeats. */
export function outcomeForKey(event) {
  if (!event || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null
  const o = OUTCOMES.find((x) => x.key === event.key)
  return o ? o.code : null
}

/** Where a key press should not trigger a shortcut: typing in a field. */
export function isTypingTarget(el) {
  if (!el || !el.tagName) return false
  const tag = el.tagName.toLowerCase()
  return tag === 'input' || tag === 'textarea' || tag === 'select' || !!el.isContentEditable
}

/** A lead's extra columns as [{ key, value }] in file order; empty values left out. */
export function attributeList(attrs) {
  if (!attrs) return []
  const pairs = Array.isArray(attrs)
    ? attrs.map((a) => (Array.isArray(a) ? [a[0], a[1]] : [a?.key ?? a?.name, a?.value]))
    : Object.entries(attrs)
  return pairs
    .filter(([k, v]) => k != null && String(k) !== '' && v != null && String(v).trim() !== '')
    .map(([k, v]) => ({ key: String(k), value: typeof v === 'object' ? JSON.stringify(v) : String(v) }))
}

/** The request body of a deal preview/commit from the form. */
export function dealBody(form) {
  const body = form.source === 'pool' ? { pool: true } : { batch_ids: [...(form.batchIds || [])] }
  body.strategy = form.strategy
  if (form.agents === 'pick') body.agent_ids = [...(form.agentIds || [])]
  if (form.agents === 'department' && form.departmentId != null) body.department_id = form.departmentId
  return body
}

/** What is missing before a deal can be previewed: null or an i18n key. */
export function dealProblem(form) {
  if (form.source !== 'pool' && !(form.batchIds || []).length) return 'deals.needBatch'
  if (!STRATEGIES.includes(form.strategy)) return 'deals.needStrategy'
  if (form.agents === 'pick' && !(form.agentIds || []).length) return 'deals.needAgents'
  if (form.agents === 'department' && form.departmentId == null) return 'deals.needDepartment'
  return null
}

/** Whole minutes from seconds (time on desk). */
export function minutes(seconds) {
  const s = Number(seconds) || 0
  return Math.floor(s / 60)
}

/** The weight override field -> the PATCH value: '' / null -> null (use the level's weight). */
export function weightValue(input) {
  if (input === '' || input == null) return null
  const n = Number(input)
  return Number.isFinite(n) && n > 0 ? n : NaN
}
