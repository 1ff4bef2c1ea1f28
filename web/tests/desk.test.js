import { describe, expect, it } from 'vitest'
import zhCN from '../src/locales/zh-CN.json'
import en from '../src/locales/en.json'
import {
  AGENT_STATUSES,
  DEAL_WARNINGS,
  OUTCOMES,
  OUTCOME_CODES,
  SETTING_KEYS,
  STRATEGIES,
  attributeList,
  dealBody,
  dealProblem,
  isRetryable,
  isTypingTarget,
  isoWithOffset,
  minutes,
  newRequestId,
  outcomeForKey,
  sendWithRetry,
  weightValue,
} from '../src/desk'

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj)

describe('desk, dealing and settings texts', () => {
  it('has both languages for every code the pages translate', () => {
    const keys = [
      ...OUTCOME_CODES.map((c) => `outcomes.${c}`),
      ...STRATEGIES.map((s) => `deals.strategies.${s}`),
      ...STRATEGIES.map((s) => `deals.strategyHints.${s}`),
      ...DEAL_WARNINGS.map((w) => `deals.warnings.${w}`),
      ...AGENT_STATUSES.map((s) => `agents.statuses.${s}`),
      ...SETTING_KEYS.flatMap((k) => [`settings.keys.${k}.label`, `settings.keys.${k}.help`]),
      'quality.A',
      'quality.B',
      'quality.C',
    ]
    for (const k of keys) {
      expect(typeof get(zhCN, k), k).toBe('string')
      expect(typeof get(en, k), k).toBe('string')
    }
  })
  it('uses the product words', () => {
    expect(zhCN.outcomes).toMatchObject({
      interested: '有意向',
      not_interested: '无意向',
      no_answer: '未接通',
      busy: '忙线',
      wrong_number: '号码错误',
      callback: '预约回访',
      do_not_call: '免打扰',
      converted: '已成交',
    })
    expect(zhCN.desk.lowStock).toBe('存量不足，请联系主管')
    expect(zhCN.desk.pull).toBe('从公海领取')
    expect(zhCN.desk.unknownName).toBe('未知姓名')
    expect(zhCN.deals.strategies).toEqual({ even: '平均', weighted: '按权重', quality: '按质量' })
    expect(zhCN.agents.statuses).toEqual({ active: '在岗', paused: '休假', disabled: '停用' })
    expect(zhCN.menu).toMatchObject({ desk: '工作台', agents: '坐席', deals: '分配', settings: '系统设置' })
  })
  it('no desk text reveals a number of leads', () => {
    for (const [k, v] of Object.entries({ ...zhCN.desk })) {
      if (k === 'retryN') continue // the redial number of this one lead
      expect(v, k).not.toMatch(/\{(n|count|total|left|remaining)\}/)
    }
  })
})

describe('desk helpers', () => {
  it('has eight outcomes on keys 1–8', () => {
    expect(OUTCOMES.map((o) => o.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8'])
    expect(OUTCOME_CODES).toEqual([
      'interested',
      'not_interested',
      'no_answer',
      'busy',
      'wrong_number',
      'callback',
      'do_not_call',
      'converted',
    ])
  })
  it('maps key presses to outcomes, ignoring modifiers and repeats', () => {
    expect(outcomeForKey({ key: '3' })).toBe('no_answer')
    expect(outcomeForKey({ key: '8' })).toBe('converted')
    expect(outcomeForKey({ key: '9' })).toBe(null)
    expect(outcomeForKey({ key: '1', ctrlKey: true })).toBe(null)
    expect(outcomeForKey({ key: '1', repeat: true })).toBe(null)
    expect(outcomeForKey(null)).toBe(null)
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true)
    expect(isTypingTarget({ tagName: 'INPUT' })).toBe(true)
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false)
    expect(isTypingTarget(null)).toBe(false)
  })
  it('makes distinct UUID request ids', () => {
    const a = newRequestId()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newRequestId()).not.toBe(a)
  })
  it('writes ISO 8601 with the local offset', () => {
    const d = new Date(2026, 10, 23, 15, 30, 0)
    const s = isoWithOffset(d)
    expect(s).toMatch(/^2026-11-23T15:30:00[+-]\d{2}:\d{2}$/)
    expect(new Date(s).getTime()).toBe(d.getTime())
    expect(isoWithOffset('nonsense')).toBe(null)
  })
  it('retries network failures with the same request, not refusals', async () => {
    const netErr = new TypeError('Failed to fetch')
    expect(isRetryable(netErr)).toBe(true)
    expect(isRetryable({ status: 503 })).toBe(true)
    expect(isRetryable({ status: 409, code: 'not_current_lead' })).toBe(false)
    expect(isRetryable({ status: 400 })).toBe(false)
    expect(isRetryable({ name: 'AbortError' })).toBe(false)

    const bodies = []
    let calls = 0
    const body = { request_id: newRequestId() }
    const retries = []
    const r = await sendWithRetry(
      async () => {
        bodies.push(body.request_id)
        if (++calls < 3) throw netErr
        return 'ok'
      },
      { sleep: async () => {}, onRetry: (n) => retries.push(n) },
    )
    expect(r).toBe('ok')
    expect(retries).toEqual([1, 2])
    expect(new Set(bodies).size).toBe(1)

    let tries = 0
    await expect(
      sendWithRetry(
        async () => {
          tries++
          throw { status: 409 }
        },
        { sleep: async () => {} },
      ),
    ).rejects.toEqual({ status: 409 })
    expect(tries).toBe(1)

    tries = 0
    await expect(
      sendWithRetry(
        async () => {
          tries++
          throw netErr
        },
        { sleep: async () => {}, delays: [1, 1] },
      ),
    ).rejects.toBe(netErr)
    expect(tries).toBe(3)
  })
  it('lists the extra columns in file order', () => {
    expect(attributeList({ 楼盘: '万科城', 序号: '1', 空: '', n: null })).toEqual([
      { key: '楼盘', value: '万科城' },
      { key: '序号', value: '1' },
    ])
    expect(attributeList([{ key: 'a', value: 1 }, ['b', 'x']])).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: 'x' },
    ])
    expect(attributeList(null)).toEqual([])
  })
})

describe('deal form', () => {
  const base = { source: 'batches', batchIds: [3, 4], strategy: 'even', agents: 'all', agentIds: [], departmentId: null }
  it('builds the request body', () => {
    expect(dealBody(base)).toEqual({ batch_ids: [3, 4], strategy: 'even' })
    expect(dealBody({ ...base, source: 'pool', strategy: 'quality' })).toEqual({ pool: true, strategy: 'quality' })
    expect(dealBody({ ...base, agents: 'pick', agentIds: [7] })).toEqual({ batch_ids: [3, 4], strategy: 'even', agent_ids: [7] })
    expect(dealBody({ ...base, agents: 'department', departmentId: 2 })).toEqual({
      batch_ids: [3, 4],
      strategy: 'even',
      department_id: 2,
    })
  })
  it('says what is missing', () => {
    expect(dealProblem(base)).toBe(null)
    expect(dealProblem({ ...base, batchIds: [] })).toBe('deals.needBatch')
    expect(dealProblem({ ...base, batchIds: [], source: 'pool' })).toBe(null)
    expect(dealProblem({ ...base, agents: 'pick' })).toBe('deals.needAgents')
    expect(dealProblem({ ...base, agents: 'department' })).toBe('deals.needDepartment')
    for (const k of ['deals.needBatch', 'deals.needAgents', 'deals.needDepartment', 'deals.needStrategy']) {
      expect(typeof get(zhCN, k), k).toBe('string')
    }
  })
  it('reads the weight override and the desk time', () => {
    expect(weightValue('')).toBe(null)
    expect(weightValue(null)).toBe(null)
    expect(weightValue('2.5')).toBe(2.5)
    expect(weightValue('0')).toBeNaN()
    expect(weightValue('abc')).toBeNaN()
    expect(minutes(125)).toBe(2)
    expect(minutes(undefined)).toBe(0)
  })
})
