import { describe, expect, it } from 'vitest'
import {
  countsByBatch, dateRangeBody, deleteAllPhrase, isDeleteAllPhrase, purgeDate, statusKey,
} from '../src/lifecycle'

describe('delete everything', () => {
  it('accepts exactly the server’s phrases', () => {
    expect(isDeleteAllPhrase('删除全部线索')).toBe(true)
    expect(isDeleteAllPhrase('  DELETE ALL ')).toBe(true)
    expect(isDeleteAllPhrase('delete all')).toBe(false)
    expect(isDeleteAllPhrase('删除全部')).toBe(false)
    expect(isDeleteAllPhrase('')).toBe(false)
    expect(isDeleteAllPhrase(undefined)).toBe(false)
  })
  it('shows the phrase of the UI language', () => {
    expect(deleteAllPhrase('zh-CN')).toBe('删除全部线索')
    expect(deleteAllPhrase('en')).toBe('DELETE ALL')
    expect(isDeleteAllPhrase(deleteAllPhrase('en'))).toBe(true)
  })
})

describe('batch counts and retention', () => {
  it('maps the per-batch counts', () => {
    const m = countsByBatch([{ batch_id: 3, leads: 10, deleted: 4 }, { batch_id: 5, leads: 2, deleted: 0 }])
    expect(m.get(3)).toEqual({ leads: 10, deleted: 4, live: 6 })
    expect(m.get(5).live).toBe(2)
    expect(m.get(9)).toBeUndefined()
    expect(countsByBatch(null).size).toBe(0)
  })
  it('computes the self-destruct date', () => {
    expect(purgeDate({ created_at: '2026-11-01T00:00:00Z', retention_days: 30 }).toISOString()).toBe(
      '2026-12-01T00:00:00.000Z',
    )
    expect(purgeDate({ created_at: '2026-11-01T00:00:00Z', retention_days: null })).toBeNull()
    expect(purgeDate({ created_at: '2026-11-01T00:00:00Z', retention_days: 0 })).toBeNull()
    expect(purgeDate({ created_at: 'nonsense', retention_days: 3 })).toBeNull()
  })
})

describe('requests', () => {
  it('builds the date-range body', () => {
    expect(dateRangeBody(['2026-11-01', '2026-11-30'])).toEqual({ created_from: '2026-11-01', created_to: '2026-11-30' })
    expect(dateRangeBody(null)).toEqual({})
  })
  it('labels statuses', () => {
    expect(statusKey('assigned')).toBe('lifecycle.status.assigned')
    expect(statusKey('weird')).toBe('lifecycle.status.other')
  })
})
