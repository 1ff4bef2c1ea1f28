// Helpers of the leak controls (desk watermark, masked desk, reveal lock, alerts) and of the
// audit viewer's search; unit-tested (tests/leak.test.js). No Element Plus imports here.

export const ALERT_KINDS = ['reveal_budget', 'fast_outcomes', 'unmask_budget']

/** The watermark line: display name, username and the time to the minute ("张业务 a1 2026-11-23 10:05"). */
export function watermarkText(user, date = new Date()) {
  const p = (n) => String(n).padStart(2, '0')
  const d = date instanceof Date ? date : new Date(date)
  const when = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
  const name = user?.display_name || ''
  const login = user?.username || ''
  const who = name && login && name !== login ? `${name} ${login}` : name || login
  return `${who} ${when}`.trim()
}

/** Milliseconds until the next full minute (at least 1 s), so the watermark's time changes on the minute. */
export function msToNextMinute(now = Date.now()) {
  return Math.max(1000, 60_000 - (now % 60_000))
}

/**
 * Draws `text` as a faint, rotated, repeating pattern over the whole canvas context area
 * (w × h in CSS pixels; the caller has scaled the context for devicePixelRatio).
 */
export function drawWatermark(ctx, w, h, text, { color = 'rgba(60, 60, 60, 0.13)', font = '15px sans-serif', angle = -22 } = {}) {
  ctx.clearRect(0, 0, w, h)
  if (!text) return 0
  ctx.save()
  ctx.font = font
  ctx.fillStyle = color
  ctx.textBaseline = 'middle'
  const width = ctx.measureText(text).width || text.length * 9
  const stepX = width + 70
  const stepY = 90
  const rad = (angle * Math.PI) / 180
  // rotate around the centre and cover the rotated area's bounding box
  ctx.translate(w / 2, h / 2)
  ctx.rotate(rad)
  const reach = Math.hypot(w, h) / 2 + stepX
  let n = 0
  for (let y = -reach, row = 0; y <= reach; y += stepY, row++) {
    const shift = row % 2 ? stepX / 2 : 0
    for (let x = -reach - shift; x <= reach; x += stepX) {
      ctx.fillText(text, x, y)
      n++
    }
  }
  ctx.restore()
  return n
}

/** The desk refused a new lead: the agent's reveal budget for the hour is spent. */
export function isRevealLock(err) {
  return !!err && err.status === 429 && err.code === 'reveal_budget_exceeded'
}

/** `Retry-After`-like seconds -> a Date when the desk opens again (null when unknown). */
export function unlockAt(seconds, now = Date.now()) {
  const s = Number(seconds)
  return Number.isFinite(s) && s > 0 ? new Date(now + s * 1000) : null
}

/**
 * The audit list query: /audit?limit=…&before_id=…&action=…&actor=…&target=…&from=…&to=…
 * `range` is [from, to] (Date or ISO strings); empty fields are left out.
 */
export function auditQuery(filters = {}, { beforeId = null, limit = 50 } = {}) {
  const q = new URLSearchParams({ limit: String(limit) })
  if (beforeId != null) q.set('before_id', String(beforeId))
  for (const k of ['action', 'actor', 'target']) {
    const v = String(filters[k] ?? '').trim()
    if (v) q.set(k, v)
  }
  const [from, to] = Array.isArray(filters.range) ? filters.range : []
  const iso = (d) => {
    if (!d) return ''
    const x = d instanceof Date ? d : new Date(d)
    return Number.isNaN(x.getTime()) ? '' : x.toISOString()
  }
  if (iso(from)) q.set('from', iso(from))
  if (iso(to)) q.set('to', iso(to))
  return `/audit?${q}`
}

/** A short, human line for an alert's detail, from translation function `t`. */
export function alertText(alert, t) {
  const d = alert?.detail || {}
  switch (alert?.kind) {
    case 'reveal_budget':
      return t('alerts.text.reveal_budget', { reveals: d.reveals ?? '?', budget: d.budget ?? '?' })
    case 'fast_outcomes':
      return t('alerts.text.fast_outcomes', { streak: d.streak ?? '?', seconds: d.under_seconds ?? '?' })
    case 'unmask_budget':
      return t('alerts.text.unmask_budget', { budget: d.budget ?? '?' })
    default:
      return alert?.kind || ''
  }
}
