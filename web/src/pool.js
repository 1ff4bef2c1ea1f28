// Pure helpers of the public pool (公海): the managers' pool page, the agent's recycling
// warnings on the desk, and the home page's summary. Unit-tested (web/tests/pool.test.js).

/** Why a lead goes back to the pool (keys of pool.reasons.*). */
export const RECYCLE_REASONS = ['follow_up', 'convert']

/** The lists of the pool page (GET /pool/leads?state=…). */
export const HELD_STATES = ['expiring', 'locked']

const HOUR = 3600 * 1000
const DAY = 24 * HOUR

/**
 * Time left until `recycleAt` (ISO) from `now` (ms): { overdue, days, hours } with whole
 * days and the hours after them (rounded up to the hour, so "0 days 1 hour" rather than nothing).
 * null when there is no deadline.
 */
export function timeLeft(recycleAt, now = Date.now()) {
  if (!recycleAt) return null
  const at = new Date(recycleAt).getTime()
  if (Number.isNaN(at)) return null
  const ms = at - now
  if (ms <= 0) return { overdue: true, days: 0, hours: 0 }
  const hoursTotal = Math.ceil(ms / HOUR)
  return { overdue: false, days: Math.floor(hoursTotal / 24), hours: hoursTotal % 24 }
}

/** The i18n key and arguments for a time left: pool.left.overdue | days | hours | daysHours. */
export function timeLeftMessage(left) {
  if (!left) return null
  if (left.overdue) return { key: 'pool.left.overdue', args: {} }
  if (left.days === 0) return { key: 'pool.left.hours', args: { n: left.hours } }
  if (left.hours === 0) return { key: 'pool.left.days', args: { n: left.days } }
  return { key: 'pool.left.daysHours', args: { d: left.days, h: left.hours } }
}

/** Within a day of the deadline (or past it): shown in red. */
export function isUrgent(recycleAt, now = Date.now()) {
  const at = new Date(recycleAt ?? NaN).getTime()
  return !Number.isNaN(at) && at - now < DAY
}

/** {"A":3,"B":5,"C":0} -> [{tier:'A', days:3}, …] in tier order; a missing tier is 0 (off). */
export function tierDays(obj) {
  return ['A', 'B', 'C'].map((tier) => ({ tier, days: Number(obj?.[tier]) || 0 }))
}

/** Whether any recycling rule is on in the overview's `rules`. */
export function recyclingOn(rules) {
  if (!rules) return false
  if (typeof rules.recycling === 'boolean') return rules.recycling
  return [...tierDays(rules.follow_up_days), ...tierDays(rules.convert_days)].some((t) => t.days > 0)
}

/** The i18n key of a reason (unknown ones: the follow-up one). */
export function reasonKey(reason) {
  return `pool.reasons.${RECYCLE_REASONS.includes(reason) ? reason : 'follow_up'}`
}
