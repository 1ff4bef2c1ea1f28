// Dealing leads to agents over HTTP and the CLI: preview (nothing stored) and
// commit, the even / weighted / quality strategies, who is left out (paused,
// disabled, not named), warnings, a manager's department scope, recalling an
// agent's leads, agents kept away from every list, count and deal route, a
// per-agent weight override, and a deal limited to one department.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import {
  addDepartment, addUsers, assertProblem, cli, cliOk, importLeads, setSettings, tempDir, useServer, writeLeadsCsv,
} from './helpers.mjs'

const files = tempDir('dialdeck-deals-')
after(() => rmSync(files, { recursive: true, force: true }))
const batch = {} // name -> batch id
const user = {} // username -> user JSON (id ...)
const dept = {} // code -> department JSON (id ...)

const AGENTS = ['a1', 'a2', 'a3', 'w3', 'w2', 'p1', 'x1', 's1', 's2', 'o1']
// Active agents after setup: p1 is paused and x1 disabled.
const ACTIVE = ['a1', 'a2', 'a3', 'w3', 'w2', 's1', 's2', 'o1']

const srv = useServer({
  setup: async (db) => {
    dept.HQ = addDepartment(db, 'HQ', '总部')
    dept.SALES = addDepartment(db, 'SALES', '电销一部', 'HQ')
    dept.SALES_A = addDepartment(db, 'SALES_A', '电销一部A组', 'SALES')
    dept.OTHER = addDepartment(db, 'OTHER', '电销二部', 'HQ')
    const specs = [
      { username: 'boss', role: 'admin', department: 'HQ' },
      { username: 'mgr', role: 'manager', department: 'SALES' },
      ...AGENTS.map((username) => ({
        username,
        role: 'agent',
        department: { s1: 'SALES', s2: 'SALES_A', o1: 'OTHER' }[username],
      })),
    ]
    for (const u of await addUsers(db, specs)) user[u.username] = u
    setSettings(db, { calling_hours: '00:00-24:00' })
    cliOk(['level', 'set', '金牌', '--weight', '3'], { db })
    cliOk(['level', 'set', '银牌', '--weight', '2'], { db })
    cliOk(['level', 'set', '新人', '--weight', '1'], { db })
    cliOk(['user', 'set', 'w3', '--level', '金牌'], { db })
    cliOk(['user', 'set', 'w2', '--level', '银牌'], { db })
    cliOk(['user', 'set', 'a1', '--level', '新人'], { db })
    cliOk(['user', 'set', 'p1', '--status', 'paused'], { db })
    cliOk(['user', 'disable', 'x1'], { db })
    let from = 0
    const add = (name, n, quality = 'B') => {
      const { file } = writeLeadsCsv(files, `${name}.csv`, n, { from, extra: { 楼盘: '万科城' } })
      from += n
      const rep = importLeads(db, file, { quality, name })
      assert.equal(rep.imported, n, `batch ${name}`)
      batch[name] = rep.batch_id
    }
    add('even', 30)
    add('weighted', 100)
    add('qa', 20, 'A')
    add('qc', 20, 'C')
    add('one', 1)
    add('cli', 6)
    add('sales', 10)
    add('extra', 7)
    add('override', 40)
    add('override2', 8)
    add('dept', 12)
    // A batch whose every row duplicates batch "even": nothing to deal.
    const dup = importLeads(db, writeLeadsCsv(files, 'dup.csv', 5, { from: 0 }).file, { name: 'dup' })
    assert.equal(dup.imported, 0)
    batch.dup = dup.batch_id
  },
})

let boss, mgr, a1
before(async () => {
  await srv.ready
  boss = srv.client.as(await srv.client.login('boss'))
  mgr = srv.client.as(await srv.client.login('mgr'))
  a1 = srv.client.as(await srv.client.login('a1'))
})

const id = (name) => user[name].id
const nameOf = (agentId) => Object.keys(user).find((k) => user[k].id === agentId)
const shareOf = (r, name) => r.body.shares.find((s) => s.agent_id === id(name))
const sharedNames = (r) => r.body.shares.map((s) => nameOf(s.agent_id)).sort()
const sum = (r) => r.body.shares.reduce((n, s) => n + s.count, 0)
const codes = (r) => r.body.warnings.map((w) => w.code)

async function queues(api = boss) {
  const r = await api.get('/api/v1/agents')
  assert.equal(r.status, 200, r.text)
  return Object.fromEntries(r.body.items.map((a) => [a.username, a]))
}

describe('deals', () => {
  test('preview (even): a share for every active agent, counts add up, nothing is assigned', async () => {
    const body = { batch_ids: [batch.even], strategy: 'even' }
    const r = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.strategy, 'even')
    assert.deepEqual(sharedNames(r), [...ACTIVE].sort())
    assert.equal(sum(r), 30)
    assert.equal(r.body.total, 30)
    for (const s of r.body.shares) {
      assert.ok(s.count === 3 || s.count === 4, `even share of 30 over 8 agents: ${s.count}`)
      assert.equal(s.by_quality.B, s.count)
    }
    assert.equal(r.body.deal_id, undefined, 'a preview has no deal id')

    const again = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(again.status, 200)
    assert.equal(again.body.total, 30, 'the first preview assigned nothing')
    assert.deepEqual(again.body.shares.map((s) => s.count).sort(), r.body.shares.map((s) => s.count).sort())

    const desk = await a1.get('/api/v1/desk')
    assert.equal(desk.status, 200, desk.text)
    assert.equal(desk.body.lead, null, 'nothing was dealt to the agent')
    const q = await queues()
    for (const name of AGENTS) assert.equal(q[name].queue, 0, `${name} has no queue after previews`)
    assert.deepEqual((await boss.get('/api/v1/deals')).body.items, [])
  })

  test('commit: 201 with deal id and seed, listed, readable, and the agents get their leads', async () => {
    const r = await boss.post('/api/v1/deals', {
      body: { batch_ids: [batch.even], strategy: 'even', agent_ids: [id('a1'), id('a2'), id('a3')] },
    })
    assert.equal(r.status, 201, r.text)
    assert.equal(typeof r.body.deal_id, 'number')
    assert.match(r.body.seed, /^\d+$/)
    assert.equal(r.body.total, 30)
    assert.deepEqual(r.body.shares.map((s) => [nameOf(s.agent_id), s.count]).sort(), [['a1', 10], ['a2', 10], ['a3', 10]])

    const list = await boss.get('/api/v1/deals')
    assert.equal(list.status, 200)
    const item = list.body.items.find((d) => d.id === r.body.deal_id)
    assert.ok(item, 'the deal is listed')
    assert.equal(item.total, 30)
    assert.deepEqual(item.batch_ids, [batch.even])
    const one = await boss.get(`/api/v1/deals/${r.body.deal_id}`)
    assert.equal(one.status, 200)
    assert.equal(one.body.seed, r.body.seed)
    assert.equal(one.body.total, 30)

    const desk = await a1.get('/api/v1/desk')
    assert.equal(desk.status, 200)
    assert.ok(desk.body.lead, 'a1 now has a lead')
    assert.equal(desk.body.lead.quality, 'B')
    const q = await queues()
    assert.deepEqual([q.a1.queue, q.a2.queue, q.a3.queue], [10, 10, 10])

    // The batch is used up: a new deal of it is refused, its preview warns.
    const used = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.even] } })
    assert.equal(used.body.total, 0)
    assert.ok(codes(used).includes('no_leads'), JSON.stringify(used.body.warnings))
    assertProblem(await boss.post('/api/v1/deals', { body: { batch_ids: [batch.even] } }), 400, 'deal_nothing_to_deal')
  })

  test('weighted 3:2 (levels set with the CLI) deals 100 leads as 60/40', async () => {
    const body = { batch_ids: [batch.weighted], strategy: 'weighted', agent_ids: [id('w3'), id('w2')] }
    const p = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(p.status, 200, p.text)
    assert.deepEqual([shareOf(p, 'w3').count, shareOf(p, 'w2').count], [60, 40])
    const r = await boss.post('/api/v1/deals', { body })
    assert.equal(r.status, 201, r.text)
    assert.equal(r.body.strategy, 'weighted')
    assert.deepEqual([shareOf(r, 'w3').count, shareOf(r, 'w2').count], [60, 40])
    const q = await queues()
    assert.deepEqual([q.w3.queue, q.w2.queue], [60, 40])
    assert.equal(q.w3.level, '金牌')
    assert.equal(q.w3.weight, 3)
    assert.equal(q.w2.weight, 2)
  })

  test('quality: a 金牌 agent (weight 3) gets more A leads than a 新人 (weight 1)', async () => {
    const body = { batch_ids: [batch.qa, batch.qc], strategy: 'quality', agent_ids: [id('w3'), id('a1')] }
    const p = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(p.status, 200, p.text)
    const gold = shareOf(p, 'w3').by_quality
    const rookie = shareOf(p, 'a1').by_quality
    assert.ok(gold.A > rookie.A, `金牌 A=${gold.A}, 新人 A=${rookie.A}`)
    assert.ok(gold.C <= rookie.C, `金牌 C=${gold.C}, 新人 C=${rookie.C}`)
    assert.equal(gold.A + rookie.A, 20)
    assert.equal(gold.C + rookie.C, 20)
    assert.equal(p.body.total, 40)
    const r = await boss.post('/api/v1/deals', { body })
    assert.equal(r.status, 201, r.text)
    assert.deepEqual(shareOf(r, 'w3').by_quality, gold, 'the deal matches its preview')
    assert.deepEqual(shareOf(r, 'a1').by_quality, rookie)
  })

  test('paused and disabled agents get nothing, even when named; agent_ids restricts the deal', async () => {
    const named = await boss.post('/api/v1/deals/preview', {
      body: { batch_ids: [batch.cli], agent_ids: [id('p1'), id('x1'), id('a2')] },
    })
    assert.equal(named.status, 200, named.text)
    assert.deepEqual(sharedNames(named), ['a2'])
    assert.equal(shareOf(named, 'a2').count, 6)

    const all = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.cli] } })
    assert.ok(!sharedNames(all).includes('p1'), 'paused agent p1 is not dealt to')
    assert.ok(!sharedNames(all).includes('x1'), 'disabled agent x1 is not dealt to')
    const q = await queues()
    assert.equal(q.p1.agent_status, 'paused')
    assert.equal(q.x1.agent_status, 'disabled')

    const two = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.cli], agent_ids: [id('a2'), id('a3')] } })
    assert.deepEqual(sharedNames(two), ['a2', 'a3'])
    assert.deepEqual(two.body.shares.map((s) => s.count), [3, 3])
  })

  test('warnings: no_leads for an empty batch, agent_gets_nothing with 1 lead and 3 agents', async () => {
    const empty = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.dup] } })
    assert.equal(empty.status, 200, empty.text)
    assert.equal(empty.body.total, 0)
    assert.deepEqual(codes(empty), ['no_leads'])
    assert.match(empty.body.warnings[0].detail, /[\u4e00-\u9fff]/, 'warning detail is translated')

    const few = await boss.post('/api/v1/deals/preview', {
      body: { batch_ids: [batch.one], agent_ids: [id('a1'), id('a2'), id('a3')] },
    })
    assert.equal(few.status, 200)
    assert.equal(few.body.total, 1)
    const nothing = few.body.warnings.filter((w) => w.code === 'agent_gets_nothing')
    assert.equal(nothing.length, 2, JSON.stringify(few.body.warnings))
    const empties = few.body.shares.filter((s) => s.count === 0).map((s) => s.agent_id).sort()
    assert.deepEqual(nothing.map((w) => w.agent_id).sort(), empties)
    for (const w of nothing) assert.ok(w.detail.length > 0)
    assert.ok(codes(few).includes('not_enough_leads'))

    const en = await boss.post('/api/v1/deals/preview', {
      body: { batch_ids: [batch.one], agent_ids: [id('a1'), id('a2'), id('a3')] }, lang: 'en',
    })
    const w = en.body.warnings.find((x) => x.code === 'agent_gets_nothing')
    assert.match(w.detail, new RegExp(nameOf(w.agent_id)), 'the English warning names the agent')
  })

  test('CLI: `deal --preview --json` prints the same shape as the API; without --preview it deals', async () => {
    const http = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.cli], agent_ids: [id('a2'), id('a3')] } })
    const args = ['deal', '--batch', String(batch.cli), '--agent', String(id('a2')), '--agent', String(id('a3'))]
    const p = cliOk([...args, '--preview', '--json'], { db: srv.db })
    const pj = JSON.parse(p.stdout)
    assert.ok(Array.isArray(pj.shares) && Array.isArray(pj.warnings))
    assert.deepEqual(Object.keys(pj).sort(), Object.keys(http.body).sort())
    assert.deepEqual(Object.keys(pj.shares[0]).sort(), Object.keys(http.body.shares[0]).sort())
    assert.equal(pj.total, 6)
    assert.equal(pj.deal_id, undefined)

    const d = cliOk([...args, '--json'], { db: srv.db })
    const dj = JSON.parse(d.stdout)
    assert.equal(typeof dj.deal_id, 'number')
    assert.equal(dj.total, 6)
    assert.ok(Array.isArray(dj.shares) && Array.isArray(dj.warnings))
    const seen = await boss.get(`/api/v1/deals/${dj.deal_id}`)
    assert.equal(seen.status, 200)
    assert.equal(seen.body.total, 6)

    const again = cliOk(['deal', '--batch', String(batch.cli), '--preview', '--json'], { db: srv.db })
    assert.deepEqual(JSON.parse(again.stdout).warnings.map((w) => w.code), ['no_leads'])
    const refused = cli(['deal', '--batch', String(batch.cli), '--json'], { db: srv.db })
    assert.notEqual(refused.status, 0, 'dealing a used batch fails')
    assert.ok(refused.stderr.length > 0)
  })

  test('a manager sees and deals only to the agents of its department subtree', async () => {
    const list = await mgr.get('/api/v1/agents')
    assert.equal(list.status, 200, list.text)
    assert.deepEqual(list.body.items.map((a) => a.username).sort(), ['s1', 's2'])

    const outside = await mgr.post('/api/v1/deals/preview', { body: { batch_ids: [batch.sales], agent_ids: [id('o1'), id('a1')] } })
    assert.equal(outside.status, 200, outside.text)
    assert.deepEqual(outside.body.shares, [], 'agents outside the subtree are not dealt to')
    assert.ok(codes(outside).includes('no_agents'))

    const r = await mgr.post('/api/v1/deals', { body: { batch_ids: [batch.sales] } })
    assert.equal(r.status, 201, r.text)
    assert.deepEqual(r.body.shares.map((s) => [nameOf(s.agent_id), s.count]).sort(), [['s1', 5], ['s2', 5]])
    const q = await queues()
    assert.equal(q.o1.queue, 0, 'the other department got nothing')
    assert.deepEqual([q.s1.queue, q.s2.queue], [5, 5])

    assertProblem(await mgr.patch(`/api/v1/agents/${id('o1')}`, { body: { agent_status: 'paused' } }), 404, 'not_found')
    assertProblem(await mgr.post(`/api/v1/agents/${id('o1')}/recall`, { body: {} }), 404, 'not_found')
    assert.equal((await queues()).o1.agent_status, 'active')
  })

  test("a manager cannot read another team's deal report (it names agents outside the subtree)", async () => {
    const deals = (await boss.get('/api/v1/deals')).body.items
    const weighted = deals.find((d) => d.batch_ids.includes(batch.weighted))
    const r = await mgr.get(`/api/v1/deals/${weighted.id}`)
    const leaks = r.status === 200 ? (r.body.shares ?? []).filter((s) => !['s1', 's2'].includes(s.username)) : []
    assert.ok(r.status === 404 || r.status === 403 || leaks.length === 0,
      `manager of SALES read deal ${weighted.id} (to w3/w2, outside SALES): ${r.status} ${r.text.slice(0, 300)}`)
  })

  test('agents get 403 on every list, count, deal and batch route', async () => {
    const routes = [
      ['get', '/api/v1/batches'],
      ['get', `/api/v1/batches/${batch.even}`],
      ['get', `/api/v1/batches/${batch.even}/rejects.xlsx`],
      ['get', '/api/v1/deals'],
      ['get', '/api/v1/deals/1'],
      ['post', '/api/v1/deals/preview', { batch_ids: [batch.extra] }],
      ['post', '/api/v1/deals', { batch_ids: [batch.extra] }],
      ['get', '/api/v1/agents'],
      ['patch', `/api/v1/agents/${id('a1')}`, { agent_status: 'paused' }],
      ['post', `/api/v1/agents/${id('a2')}/recall`, {}],
      ['get', '/api/v1/levels'],
      ['post', '/api/v1/levels', { name: '钻石', weight: 5 }],
      ['get', '/api/v1/dnc'],
      ['post', '/api/v1/dnc', { phone: '13912345678' }],
      ['get', '/api/v1/audit'],
      ['get', '/api/v1/users'],
      ['get', '/api/v1/settings'],
      ['post', '/api/v1/imports', {}],
      ['post', '/api/v1/imports/preview', {}],
    ]
    const before = await queues()
    for (const [method, path, body] of routes) {
      assertProblem(await a1[method](path, body === undefined ? {} : { body }), 403, 'forbidden')
    }
    // Nothing happened: the extra batch is still undealt, a2 still has its leads.
    const p = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.extra] } })
    assert.equal(p.body.total, 7)
    const after = await queues()
    for (const name of AGENTS) assert.equal(after[name].queue, before[name].queue, `${name}'s queue`)
    assert.equal(after.a1.agent_status, 'active')
    // And the desk is for agents only.
    assertProblem(await mgr.get('/api/v1/desk'), 403, 'forbidden')
    assertProblem(await boss.post('/api/v1/desk/pull'), 403, 'forbidden')
  })

  test('recall empties the desk; with redeal the leads go to the other agents (and only those leads)', async () => {
    const s1 = srv.client.as(await srv.client.login('s1'))
    const s2 = srv.client.as(await srv.client.login('s2'))
    const shown = await s1.get('/api/v1/desk')
    assert.ok(shown.body.lead, 's1 has a lead on the desk before the recall')

    const r = await mgr.post(`/api/v1/agents/${id('s1')}/recall`, { body: {} })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.recalled, 5)
    assert.equal(r.body.deal_id, null)
    assert.equal((await s1.get('/api/v1/desk')).body.lead, null, "s1's desk is empty after the recall")
    assertProblem(await s1.post('/api/v1/desk/outcome', { body: { lead_id: shown.body.lead.id, outcome: 'not_interested' } }),
      409, 'not_current_lead')
    assert.equal((await queues(mgr)).s1.queue, 0)

    const s2lead = (await s2.get('/api/v1/desk')).body.lead
    assert.ok(s2lead)
    const rd = await mgr.post(`/api/v1/agents/${id('s2')}/recall`, { body: { redeal: true } })
    assert.equal(rd.status, 200, rd.text)
    assert.equal(rd.body.recalled, 5)
    assert.equal(typeof rd.body.deal_id, 'number')
    assert.equal((await s2.get('/api/v1/desk')).body.lead, null, "s2's desk is empty after the recall")
    const q = await queues()
    assert.equal(q.s2.queue, 0)
    assert.equal(q.o1.queue, 0, 'the redeal stays in the manager\'s subtree')
    assert.ok((await s1.get('/api/v1/desk')).body.lead, 's1 got leads from the redeal')

    // The redeal deals the recalled leads, not every unassigned lead in the pool.
    const deal = await mgr.get(`/api/v1/deals/${rd.body.deal_id}`)
    assert.equal(deal.status, 200)
    assert.equal(deal.body.total, 5, `the redeal dealt ${deal.body.total} leads for 5 recalled`)
    const extra = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.extra] } })
    assert.equal(extra.body.total, 7, 'an undealt batch nobody chose stays in the pool after a redeal')
    assert.equal(q.s1.queue, 5)
  })

  test('a per-agent weight override (CLI `user set --weight`) beats the level weight in a weighted deal', async () => {
    // a3 and a1 are both 新人 (level weight 1); a3 gets its own weight 3.
    const set = cliOk(['user', 'set', 'a3', '--level', '新人', '--weight', '3'], { db: srv.db })
    const printed = JSON.parse(set.stdout.trim().split('\n').pop())
    assert.equal(printed.weight_override, 3, set.stdout)
    let q = await queues()
    assert.equal(q.a3.level, '新人')
    assert.equal(q.a3.level_weight, 1, 'the level keeps its own weight')
    assert.equal(q.a3.weight_override, 3, 'the agents list shows the override')
    assert.equal(q.a3.weight, 3, 'the weight used for dealing is the override')
    assert.equal(q.a1.weight_override, null, 'other agents of the level are untouched')
    assert.equal(q.a1.weight, 1)

    const body = { batch_ids: [batch.override], strategy: 'weighted', agent_ids: [id('a3'), id('a1')] }
    const p = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(p.status, 200, p.text)
    assert.deepEqual([shareOf(p, 'a3').count, shareOf(p, 'a1').count], [30, 10], 'weights 3:1 deal 40 leads as 30/10')
    const before = [q.a3.queue, q.a1.queue]
    const r = await boss.post('/api/v1/deals', { body })
    assert.equal(r.status, 201, r.text)
    assert.deepEqual([shareOf(r, 'a3').count, shareOf(r, 'a1').count], [30, 10])
    q = await queues()
    assert.deepEqual([q.a3.queue - before[0], q.a1.queue - before[1]], [30, 10], 'the queues grew by the shares')

    // Clearing the override (weight 0 on the CLI, null over the API) falls
    // back to the level weight; setting it over the API works like the CLI.
    const body2 = { batch_ids: [batch.override2], strategy: 'weighted', agent_ids: [id('a3'), id('a1')] }
    cliOk(['user', 'set', 'a3', '--weight', '0'], { db: srv.db })
    q = await queues()
    assert.equal(q.a3.weight_override, null)
    assert.equal(q.a3.weight, 1)
    const even = await boss.post('/api/v1/deals/preview', { body: body2 })
    assert.deepEqual([shareOf(even, 'a3').count, shareOf(even, 'a1').count], [4, 4], 'without the override: 1:1')
    const patched = await boss.patch(`/api/v1/agents/${id('a3')}`, { body: { weight: 3 } })
    assert.equal(patched.status, 200, patched.text)
    assert.equal(patched.body.weight_override, 3)
    assert.equal(patched.body.weight, 3)
    const again = await boss.post('/api/v1/deals/preview', { body: body2 })
    assert.deepEqual([shareOf(again, 'a3').count, shareOf(again, 'a1').count], [6, 2], 'override 3 again: 3:1')
    const cleared = await boss.patch(`/api/v1/agents/${id('a3')}`, { body: { weight: null } })
    assert.equal(cleared.status, 200, cleared.text)
    assert.equal(cleared.body.weight_override, null)
    assert.equal((await queues()).a3.weight, 1)
  })

  test('department_id deals only to the agents of exactly that department', async () => {
    // s1 is in 电销一部 (SALES), s2 in its A组 (SALES_A), o1 in 电销二部 (OTHER).
    const other = await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.dept], department_id: dept.OTHER.id } })
    assert.equal(other.status, 200, other.text)
    assert.deepEqual(sharedNames(other), ['o1'])
    assert.equal(shareOf(other, 'o1').count, 12)

    const before = await queues()
    const body = { batch_ids: [batch.dept], department_id: dept.SALES.id }
    const p = await boss.post('/api/v1/deals/preview', { body })
    assert.equal(p.status, 200, p.text)
    assert.deepEqual(sharedNames(p), ['s1'], 'only 电销一部 itself, not its sub-department A组')
    const r = await boss.post('/api/v1/deals', { body })
    assert.equal(r.status, 201, r.text)
    assert.deepEqual(r.body.shares.map((s) => [nameOf(s.agent_id), s.count]), [['s1', 12]])
    const after = await queues()
    for (const name of AGENTS) {
      assert.equal(after[name].queue - before[name].queue, name === 's1' ? 12 : 0, `${name}'s queue`)
    }

    // A manager naming a department outside its subtree deals to nobody.
    const outside = await mgr.post('/api/v1/deals/preview', { body: { batch_ids: [batch.extra], department_id: dept.OTHER.id } })
    assert.equal(outside.status, 200, outside.text)
    assert.deepEqual(outside.body.shares, [])
    assert.ok(codes(outside).includes('no_agents'))
    assertProblem(await boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.extra], department_id: 'OTHER' } }),
      400, 'invalid_field')
  })
})
