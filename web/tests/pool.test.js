import { describe, expect, it } from 'vitest'
import { isUrgent, reasonKey, recyclingOn, tierDays, timeLeft, timeLeftMessage } from '../src/pool'

const NOW = Date.parse('2026-11-23T02:00:00Z')
const inHours = (h) => new Date(NOW + h * 3600 * 1000).toISOString()

describe('time left before recycling', () => {
  it('counts whole days and the hours after them, rounding up to the hour', () => {
    expect(timeLeft(inHours(50), NOW)).toEqual({ overdue: false, days: 2, hours: 2 })
    expect(timeLeft(inHours(48), NOW)).toEqual({ overdue: false, days: 2, hours: 0 })
    expect(timeLeft(inHours(0.1), NOW)).toEqual({ overdue: false, days: 0, hours: 1 })
    expect(timeLeft(inHours(0), NOW)).toEqual({ overdue: true, days: 0, hours: 0 })
    expect(timeLeft(inHours(-5), NOW).overdue).toBe(true)
    expect(timeLeft(null, NOW)).toBeNull()
    expect(timeLeft('not a date', NOW)).toBeNull()
  })
  it('picks the message', () => {
    expect(timeLeftMessage({ overdue: true, days: 0, hours: 0 }).key).toBe('pool.left.overdue')
    expect(timeLeftMessage({ overdue: false, days: 0, hours: 5 })).toEqual({ key: 'pool.left.hours', args: { n: 5 } })
    expect(timeLeftMessage({ overdue: false, days: 3, hours: 0 })).toEqual({ key: 'pool.left.days', args: { n: 3 } })
    expect(timeLeftMessage({ overdue: false, days: 1, hours: 4 })).toEqual({
      key: 'pool.left.daysHours',
      args: { d: 1, h: 4 },
    })
    expect(timeLeftMessage(null)).toBeNull()
  })
  it('is urgent within a day', () => {
    expect(isUrgent(inHours(23), NOW)).toBe(true)
    expect(isUrgent(inHours(-1), NOW)).toBe(true)
    expect(isUrgent(inHours(25), NOW)).toBe(false)
    expect(isUrgent(null, NOW)).toBe(false)
  })
})

describe('rules', () => {
  it('lists days per tier, missing tiers off', () => {
    expect(tierDays({ A: 3, B: 5 })).toEqual([
      { tier: 'A', days: 3 },
      { tier: 'B', days: 5 },
      { tier: 'C', days: 0 },
    ])
    expect(tierDays(null).every((t) => t.days === 0)).toBe(true)
  })
  it('tells whether recycling is on', () => {
    expect(recyclingOn({ recycling: false, follow_up_days: { A: 3 } })).toBe(false)
    expect(recyclingOn({ follow_up_days: { A: 0 }, convert_days: { C: 10 } })).toBe(true)
    expect(recyclingOn({ follow_up_days: {}, convert_days: {} })).toBe(false)
    expect(recyclingOn(null)).toBe(false)
  })
  it('maps reasons to messages', () => {
    expect(reasonKey('convert')).toBe('pool.reasons.convert')
    expect(reasonKey('follow_up')).toBe('pool.reasons.follow_up')
    expect(reasonKey('other')).toBe('pool.reasons.follow_up')
  })
})
