import { describe, expect, it } from 'vitest'
import { alertText, auditQuery, drawWatermark, isRevealLock, msToNextMinute, unlockAt, watermarkText } from '../src/leak'

describe('watermark', () => {
  it('names the agent and the time to the minute', () => {
    const d = new Date(2026, 10, 23, 9, 5, 59)
    expect(watermarkText({ display_name: '张业务', username: 'a1' }, d)).toBe('张业务 a1 2026-11-23 09:05')
    expect(watermarkText({ display_name: 'a1', username: 'a1' }, d)).toBe('a1 2026-11-23 09:05')
    expect(watermarkText({ username: 'a1' }, d)).toBe('a1 2026-11-23 09:05')
  })
  it('waits for the next full minute', () => {
    expect(msToNextMinute(60_000 * 5 + 59_500)).toBe(1000)
    expect(msToNextMinute(60_000 * 5 + 1_000)).toBe(59_000)
    expect(msToNextMinute(60_000 * 5)).toBe(60_000)
  })
  it('covers the whole area with the text', () => {
    const calls = []
    const ctx = {
      clearRect() {}, save() {}, restore() {}, translate() {}, rotate() {},
      measureText: (s) => ({ width: s.length * 8 }),
      fillText: (s, x, y) => calls.push([s, x, y]),
    }
    const n = drawWatermark(ctx, 800, 600, '张业务 a1 2026-11-23 09:05')
    expect(n).toBe(calls.length)
    expect(n).toBeGreaterThan(20)
    expect(new Set(calls.map((c) => c[0]))).toEqual(new Set(['张业务 a1 2026-11-23 09:05']))
    expect(drawWatermark(ctx, 800, 600, '')).toBe(0)
  })
})

describe('reveal lock and audit query', () => {
  it('recognises the reveal-budget answer only', () => {
    expect(isRevealLock({ status: 429, code: 'reveal_budget_exceeded' })).toBe(true)
    expect(isRevealLock({ status: 429, code: 'too_many_attempts' })).toBe(false)
    expect(isRevealLock(null)).toBe(false)
    expect(unlockAt(60, 1000).getTime()).toBe(61_000)
    expect(unlockAt('x')).toBe(null)
  })
  it('builds the audit search', () => {
    expect(auditQuery({})).toBe('/audit?limit=50')
    const q = new URLSearchParams(
      auditQuery(
        { actor: ' boss ', action: 'lead.', target: 'lead:', range: [new Date(Date.UTC(2026, 10, 23, 2)), '2026-11-24T00:00:00Z'] },
        { beforeId: 99, limit: 20 },
      ).split('?')[1],
    )
    expect(Object.fromEntries(q)).toEqual({
      limit: '20',
      before_id: '99',
      actor: 'boss',
      action: 'lead.',
      target: 'lead:',
      from: '2026-11-23T02:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
    })
  })
  it('describes alerts', () => {
    const t = (k, a) => `${k} ${JSON.stringify(a)}`
    expect(alertText({ kind: 'reveal_budget', detail: { reveals: 3, budget: 3 } }, t)).toBe('alerts.text.reveal_budget {"reveals":3,"budget":3}')
    expect(alertText({ kind: 'fast_outcomes', detail: { streak: 4, under_seconds: 5 } }, t)).toContain('"seconds":5')
    expect(alertText({ kind: 'other' }, t)).toBe('other')
  })
})
