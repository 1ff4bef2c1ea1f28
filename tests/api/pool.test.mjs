// The public pool (公海) and recycling over HTTP, on a file clock: leads not
// followed up within N days (per quality tier) or not converted within M
// days go back to the pool; every outcome restarts the countdown; the owner
// is warned K days before (the current lead on the desk, and the agent's own
// expiring prospects); locked and won leads are exempt; the previous owner
// cannot take a recycled lead back during the cooldown (pull and deal); the
// holding cap and the daily claim cap; every run audited with its counts, by
// a manager (scoped) or by the scheduler (system); agents get 403 from every
// pool route; many agents pulling from the pool at the same moment.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  addDepartment, addUsers, assertProblem, cliOk, HAS_SQLITE3, importLeads, setSettings, sqlite, startServer, tempDir,
  testClock, useServer, writeLeadsCsv, keysMatching,
} from './helpers.mjs'

const files = tempDir('dialdeck-pool-')
after(() => rmSync(files, { recursive: true, force: true }))

const DAY = 86400
// 2026-11-23 10:00 China time (UTC+8).
const T0 = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000
const iso = (t) => new Date(t * 1000).toISOString().replace(/\.000Z$/, 'Z')
const MASKED = /^\d{3}\*{4}\d{4}$/

// A file clock that only moves forward, with sessions that follow it.
function world(name) {
  const file = join(files, `${name}.now`)
  writeFileSync(file, `${T0}\n`)
  const w = {
    file,
    now: T0,
    set(t) {
      assert.ok(t >= w.now, 'the test clock only moves forward')
      w.now = t
      writeFileSync(file, `${t}\n`)
    },
    sessions: new Map(),
    srv: null,
    async as(user) {
      await w.srv.ready
      const s = w.sessions.get(user)
      if (s && w.now - s.at < 3 * 3600) return s.api
      const api = w.srv.client.as(await w.srv.client.login(user))
      w.sessions.set(user, { api, at: w.now })
      return api
    },
  }
  return w
}

let from = 5000
function addBatch(db, batches, name, n, quality) {
  const { file, phones } = writeLeadsCsv(files, `${name}.csv`, n, { from })
  from += n
  const rep = importLeads(db, file, { name, quality })
  assert.equal(rep.imported, n, `batch ${name}`)
  batches[name] = { id: rep.batch_id, phones: phones.map((p) => `+86${p}`) }
}

async function ok(promise, status = 200) {
  const r = await promise
  assert.equal(r.status, status, `${r.res?.url}: ${r.status} ${r.text}`)
  return r.body
}

async function outcome(api, lead, what, extra = {}) {
  return ok(api.post('/api/v1/desk/outcome', {
    body: { lead_id: lead.id, outcome: what, note: '', request_id: randomUUID(), ...extra },
  }))
}

// ------------------------------------------------------------------ the rules

describe('recycling rules', () => {
  const w = world('rules')
  const batch = {}
  const user = {}
  w.srv = useServer({
    args: ['--clock-file', w.file, '--scheduler-interval', '0'],
    setup: async (db) => {
      addDepartment(db, 'S1', '电销一部')
      addDepartment(db, 'S2', '电销二部')
      addDepartment(db, 'S3', '电销三部')
      for (const u of await addUsers(db, [
        { username: 'boss', role: 'admin' },
        { username: 'mgr', role: 'manager', department: 'S1' },
        { username: 'a1', role: 'agent', department: 'S1' },
        { username: 'mgr2', role: 'manager', department: 'S2' },
        { username: 'a2', role: 'agent', department: 'S2' },
        { username: 'mgr3', role: 'manager', department: 'S3' },
      ])) user[u.username] = u
      setSettings(db, {
        calling_hours: '00:00-24:00',
        pool_follow_up_days: '{"A":3,"B":5,"C":0}',
        pool_convert_days: '{"C":10}',
        pool_warn_days: 1,
        pool_cooldown_days: 7,
      })
      addBatch(db, batch, 'fa', 4, 'A')
      addBatch(db, batch, 'fb', 3, 'B')
      addBatch(db, batch, 'fc', 2, 'C')
    },
  })

  async function deal(by, name, agent) {
    const r = await ok((await w.as(by)).post('/api/v1/deals', {
      body: { batch_ids: [batch[name].id], agent_ids: [user[agent].id] },
    }), 201)
    assert.equal(r.total, batch[name].phones.length)
  }
  const run = async (by) => ok((await w.as(by)).post('/api/v1/pool/recycle'))

  test('not followed up within N days: recycled; an outcome restarts the countdown; warned K days before', async () => {
    await deal('mgr', 'fa', 'a1')
    let a1 = await w.as('a1')
    let d = await ok(a1.get('/api/v1/desk'))
    const l1 = d.lead
    assert.ok(l1, 'a lead on the desk')
    assert.equal(l1.recycle_at, iso(T0 + 3 * DAY), 'A leads: 3 days to follow up')
    assert.equal(l1.recycle_reason, 'follow_up')
    assert.equal(l1.recycle_warning, false)

    // A day in: no answer. The countdown of that lead starts again.
    w.set(T0 + DAY)
    a1 = await w.as('a1')
    d = await outcome(a1, l1, 'no_answer')
    const l2 = d.lead
    assert.notEqual(l2.id, l1.id)
    assert.equal(l2.recycle_at, iso(T0 + 3 * DAY))

    // Two days and an hour in: the untouched leads are within the warning (1 day).
    w.set(T0 + 2 * DAY + 3600)
    a1 = await w.as('a1')
    d = await ok(a1.get('/api/v1/desk'))
    assert.equal(d.lead.id, l2.id)
    assert.equal(d.lead.recycle_warning, true, 'the current lead warns its agent')
    let r = await run('mgr')
    assert.deepEqual([r.recycled, r.warned, r.warning], [0, 3, 3])
    const mgr = await w.as('mgr')
    const expiring = await ok(mgr.get('/api/v1/pool/leads?state=expiring'))
    assert.equal(expiring.total, 3)
    assert.ok(!expiring.items.some((i) => i.id === l1.id), 'the lead followed up is not expiring')
    for (const i of expiring.items) {
      assert.match(i.phone_masked, MASKED)
      assert.equal(i.phone, undefined, 'no number in the list')
      assert.equal(i.agent_id, user.a1.id)
      assert.equal(i.recycle_at, iso(T0 + 3 * DAY))
    }
    assert.equal((await ok(mgr.get('/api/v1/pool'))).held.expiring, 3)
    // Another manager's scope holds none of them.
    assert.equal((await ok((await w.as('mgr3')).get('/api/v1/pool/leads?state=expiring'))).total, 0)
    // A second run warns nobody again.
    r = await run('mgr')
    assert.deepEqual([r.warned, r.warning], [0, 3])

    // Three days and an hour in: the three untouched leads go back to the pool.
    w.set(T0 + 3 * DAY + 3600)
    const before = (await ok((await w.as('mgr')).get('/api/v1/pool'))).pool
    r = await run('mgr')
    assert.equal(r.recycled, 3)
    assert.equal(r.follow_up, 3)
    assert.equal(r.convert, 0)
    assert.deepEqual(r.by_quality, { A: 3, B: 0, C: 0 })
    assert.equal(r.agents, 1)
    assert.equal(r.warned, 1, 'the lead followed up on day 1 is now within its warning')
    const after = (await ok((await w.as('mgr')).get('/api/v1/pool'))).pool
    assert.equal(after.total, before.total + 3)
    assert.equal(after.recycled, before.recycled + 3)
    assert.equal(after.by_batch.find((b) => b.batch_id === batch.fa.id).recycled, 3)
    // The agent's desk moves on to the lead that was followed up (its retry is due).
    a1 = await w.as('a1')
    d = await ok(a1.get('/api/v1/desk'))
    assert.equal(d.lead.id, l1.id)
    assert.equal(d.lead.recycle_at, iso(T0 + 4 * DAY))
    assert.equal(d.lead.recycle_warning, true)
    // The run is in the audit trail with its counts, by the manager.
    const audit = await ok((await w.as('boss')).get('/api/v1/audit?action=pool.recycle'))
    const entry = audit.items[0]
    assert.equal(entry.actor, 'mgr')
    assert.equal(entry.detail.recycled, 3)
    assert.equal(entry.detail.scope, 'department')

    // Interested: a prospect, followed up now (due in 3 days).
    d = await outcome(a1, d.lead, 'interested')
    assert.equal(d.lead, null, 'nothing else on the desk')
    assert.deepEqual((await ok(a1.get('/api/v1/desk/expiring'))).items, [])

    // Two days later the prospect is within its warning: the agent sees it, without its number.
    w.set(T0 + 5 * DAY + 7200)
    a1 = await w.as('a1')
    const exp = await ok(a1.get('/api/v1/desk/expiring'))
    assert.equal(exp.items.length, 1)
    assert.equal(exp.items[0].id, l1.id)
    assert.equal(exp.items[0].recycle_at, iso(T0 + 6 * DAY + 3600))
    assert.equal(exp.items[0].recycle_reason, 'follow_up')
    assert.ok(!JSON.stringify(exp).includes(l1.phone.slice(3)), 'no number in the warning')
    // The agent brings it onto the desk and follows it up: the countdown starts again.
    d = await ok(a1.post('/api/v1/desk/follow-up', { body: { lead_id: l1.id } }))
    assert.equal(d.lead.id, l1.id)
    assert.equal(d.lead.status, 'prospect')
    assert.equal(d.lead.recycle_warning, true)
    assert.equal((await ok(a1.get('/api/v1/desk'))).lead.id, l1.id, 'it stays on the desk')
    d = await outcome(a1, d.lead, 'interested', { note: '下周签约' })
    assert.deepEqual((await ok(a1.get('/api/v1/desk/expiring'))).items, [])
    // Past the old deadline, the run leaves it.
    w.set(T0 + 6 * DAY + 7200)
    r = await run('mgr')
    assert.equal(r.recycled, 0)
    assertProblem(await (await w.as('a1')).post('/api/v1/desk/follow-up', { body: { lead_id: 999999 } }),
      404, 'prospect_not_found')
  })

  test('locked and won leads are exempt; unlocked, a lead is recycled at the next run', async () => {
    const t = w.now
    await deal('mgr2', 'fb', 'a2')
    let a2 = await w.as('a2')
    let d = await ok(a2.get('/api/v1/desk'))
    const won = d.lead
    d = await outcome(a2, won, 'converted')
    const interested = d.lead
    d = await outcome(a2, interested, 'interested')
    const locked = d.lead
    assert.ok(locked, 'the third lead is on the desk')

    // Agents may not lock; managers only their own team's leads.
    assertProblem(await a2.post('/api/v1/pool/lock', { body: { lead_ids: [locked.id] } }), 403, 'forbidden')
    assertProblem(await (await w.as('mgr')).post('/api/v1/pool/lock', { body: { lead_ids: [locked.id] } }),
      404, 'pool_leads_not_found')
    assertProblem(await (await w.as('mgr')).post('/api/v1/pool/lock', { body: { lead_ids: [locked.id] }, lang: 'en' }),
      404, 'pool_leads_not_found', { lang: 'en' })
    const mgr2 = await w.as('mgr2')
    assert.deepEqual(await ok(mgr2.post('/api/v1/pool/lock', { body: { lead_ids: [locked.id] } })), { changed: 1 })
    assert.equal((await ok(a2.get('/api/v1/desk'))).lead.recycle_at, null, 'a locked lead has no deadline')
    const list = await ok(mgr2.get('/api/v1/pool/leads?state=locked'))
    assert.deepEqual(list.items.map((i) => [i.id, i.locked, i.locked_by]), [[locked.id, true, 'mgr2']])

    // B leads: 5 days. Past them only the interested (not won, not locked) lead goes.
    w.set(t + 5 * DAY + 3600)
    let r = await run('mgr2')
    assert.equal(r.recycled, 1)
    assert.deepEqual(r.by_quality, { A: 0, B: 1, C: 0 })
    a2 = await w.as('a2')
    assert.equal((await ok(a2.get('/api/v1/desk'))).lead.id, locked.id, 'the locked lead stays')
    const audit = await ok((await w.as('boss')).get(`/api/v1/audit?action=lead.lock&target=lead:${locked.id}`))
    assert.equal(audit.items[0].actor, 'mgr2')

    assert.deepEqual(await ok((await w.as('mgr2')).post('/api/v1/pool/unlock', { body: { lead_ids: [locked.id] } })),
      { changed: 1 })
    r = await run('mgr2')
    assert.equal(r.recycled, 1, 'unlocked and overdue: recycled')
    assert.equal((await ok(a2.get('/api/v1/desk'))).lead, null)
    r = await run('mgr2')
    assert.equal(r.recycled, 0, 'the won lead stays with its agent')
  })

  test('C leads: no follow-up rule, but not converted within 10 days they go back', async () => {
    const t = w.now
    await deal('mgr2', 'fc', 'a2')
    const a2 = await w.as('a2')
    let d = await ok(a2.get('/api/v1/desk'))
    assert.equal(d.lead.recycle_at, iso(t + 10 * DAY))
    assert.equal(d.lead.recycle_reason, 'convert')
    d = await outcome(a2, d.lead, 'interested')
    d = await outcome(a2, d.lead, 'busy')
    w.set(t + 9 * DAY)
    assert.equal((await run('mgr2')).recycled, 0, 'follow-ups do not matter for C')
    w.set(t + 10 * DAY + 60)
    const r = await run('mgr2')
    assert.equal(r.recycled, 2)
    assert.equal(r.convert, 2)
  })

  test('agents get 403 from every pool list, count and action', async () => {
    const a1 = await w.as('a1')
    for (const [method, path] of [
      ['get', '/api/v1/pool'],
      ['get', '/api/v1/pool/leads'],
      ['get', '/api/v1/pool/leads?state=locked'],
      ['post', '/api/v1/pool/recycle'],
      ['post', '/api/v1/pool/lock'],
      ['post', '/api/v1/pool/unlock'],
    ]) {
      const opts = method === 'post' ? { body: { lead_ids: [1] } } : {}
      assertProblem(await a1[method](path, opts), 403, 'forbidden')
    }
    assertProblem(await a1.get('/api/v1/pool', { lang: 'en' }), 403, 'forbidden', { lang: 'en' })
    // Managers may not use the agents' desk routes.
    assertProblem(await (await w.as('mgr')).get('/api/v1/desk/expiring'), 403, 'forbidden')
    // The agent's answers carry no count of the leads it holds.
    const overview = await ok((await w.as('mgr')).get('/api/v1/pool'))
    assert.equal(typeof overview.pool.total, 'number')
    const COUNTS = /(^|_)(count|counts|total|totals|queue|queued|remaining|left|leads|number|num|size|held|holding)($|_)/i
    const answers = [await ok(a1.get('/api/v1/desk')), await ok(a1.get('/api/v1/desk/expiring'))]
    assert.deepEqual(keysMatching(answers, COUNTS), [])
  })

  test('rule settings: a number or per tier; bad values are refused', async () => {
    const boss = await w.as('boss')
    assertProblem(await boss.put('/api/v1/settings/pool_follow_up_days', { body: { value: '{"A":7,"X":1}' } }),
      400, 'invalid_setting_value')
    assertProblem(await boss.put('/api/v1/settings/pool_convert_days', { body: { value: -1 } }),
      400, 'invalid_setting_value')
    assertProblem(await boss.put('/api/v1/settings/pool_holding_cap', { body: { value: 'lots' } }),
      400, 'invalid_setting_value')
    assert.equal((await ok(boss.put('/api/v1/settings/pool_convert_days', { body: { value: { A: 30, B: 20 } } }))).value,
      '{"A":30,"B":20}')
    const rules = (await ok(boss.get('/api/v1/pool'))).rules
    assert.deepEqual(rules.convert_days, { A: 30, B: 20, C: 0 })
    assert.deepEqual(rules.follow_up_days, { A: 3, B: 5, C: 0 })
    assert.equal(rules.recycling, true)
    assertProblem(await (await w.as('mgr')).put('/api/v1/settings/pool_warn_days', { body: { value: 3 } }),
      403, 'forbidden')
  })
})

// ------------------------------------------------------------------ cooldown and caps

describe('cooldown, claim cap and holding cap', () => {
  const w = world('caps')
  const batch = {}
  const user = {}
  w.srv = useServer({
    args: ['--clock-file', w.file, '--scheduler-interval', '0'],
    setup: async (db) => {
      addDepartment(db, 'T', '电销四部')
      for (const u of await addUsers(db, [
        { username: 'boss', role: 'admin' },
        { username: 'mgr', role: 'manager', department: 'T' },
        { username: 'c1', role: 'agent', department: 'T' },
        { username: 'c2', role: 'agent', department: 'T' },
      ])) user[u.username] = u
      setSettings(db, {
        calling_hours: '00:00-24:00',
        pull_mode: 1,
        pull_daily_quota: 2,
        pool_follow_up_days: 1,
        pool_warn_days: 0,
        pool_cooldown_days: 7,
      })
      addBatch(db, batch, 'mine', 2, 'A') // first: the oldest pool leads
      addBatch(db, batch, 'fresh', 6, 'B')
      addBatch(db, batch, 'extra', 6, 'C')
    },
  })
  const lead = async (api) => (await ok(api.get('/api/v1/desk'))).lead

  test('after recycling, the previous owner cannot take a lead back: pull and deal skip it for them', async () => {
    let mgr = await w.as('mgr')
    await ok(mgr.post('/api/v1/deals', { body: { batch_ids: [batch.mine.id], agent_ids: [user.c1.id] } }), 201)
    assert.ok(await lead(await w.as('c1')))
    w.set(T0 + DAY + 60)
    mgr = await w.as('mgr')
    assert.equal((await ok(mgr.post('/api/v1/pool/recycle'))).recycled, 2)

    // Pulls take the oldest pool lead, but not for c1, whose leads these were.
    const c1 = await w.as('c1')
    const c2 = await w.as('c2')
    const p1 = (await ok(c1.post('/api/v1/desk/pull'))).lead
    assert.ok(p1 && !batch.mine.phones.includes(p1.phone), 'c1 gets another lead')
    const p2 = (await ok(c2.post('/api/v1/desk/pull'))).lead
    assert.ok(p2 && batch.mine.phones.includes(p2.phone), 'c2 may take it')

    // A deal from the pool to c1 alone leaves the last one in the pool, and says so.
    const alone = await ok(mgr.post('/api/v1/deals/preview', { body: { pool: true, agent_ids: [user.c1.id] } }))
    const warning = alone.warnings.find((x) => x.code === 'leads_in_cooldown')
    assert.ok(warning, JSON.stringify(alone.warnings))
    assert.equal(warning.count, 1)
    assert.match(warning.detail, /冷却/)
    const inPool = 1 + 5 + 6 // mine (1 left), fresh (5 left), extra
    assert.equal(alone.total, inPool - 1)
    // Dealt from the pool to both, it goes to c2.
    const both = await ok(mgr.post('/api/v1/deals', {
      body: { pool: true, agent_ids: [user.c1.id, user.c2.id], strategy: 'even' },
    }), 201)
    assert.equal(both.total, inPool)
    assert.ok(!both.warnings.some((x) => x.code === 'leads_in_cooldown'))
    // c1 works through its desk: none of the leads is one recycled from it.
    let l = await lead(c1)
    const seen = []
    for (let guard = 0; l && guard < 20; guard++) {
      seen.push(l.phone)
      l = (await outcome(c1, l, 'not_interested')).lead
    }
    assert.equal(seen.length, 1 + both.shares.find((x) => x.agent_id === user.c1.id).count)
    assert.deepEqual(seen.filter((p) => batch.mine.phones.includes(p)), [])
    if (HAS_SQLITE3) {
      const owners = sqlite(w.srv.db, `SELECT DISTINCT owner_id FROM leads WHERE batch_id = ${batch.mine.id}`).trim()
      assert.equal(owners, String(user.c2.id))
    }
  })

  test('the daily claim cap: two pulls a China day', async () => {
    const c1 = await w.as('c1')
    assert.equal(await lead(c1), null)
    // One pull today already (the test before). Put a lead back in the pool to pull.
    const boss = await w.as('boss')
    await ok(boss.post('/api/v1/agents/' + user.c2.id + '/recall', { body: {} }))
    const p = (await ok(c1.post('/api/v1/desk/pull'))).lead
    assert.ok(p)
    const d = await outcome(c1, p, 'not_interested')
    assert.equal(d.lead, null)
    assert.equal(d.can_pull, false, 'two claims today')
    assertProblem(await c1.post('/api/v1/desk/pull'), 429, 'pull_quota_reached')
    // The next China day: pulling again.
    w.set(T0 + 2 * DAY + 60)
    const again = await w.as('c1')
    assert.equal((await ok(again.get('/api/v1/desk'))).can_pull, true)
  })

  test('the holding cap: pulls and deals stop at it; won leads do not count', async () => {
    const boss = await w.as('boss')
    await ok(boss.put('/api/v1/settings/pull_daily_quota', { body: { value: '10' } }))
    const c2 = await w.as('c2')
    assert.equal(await lead(c2), null, 'c2 was recalled')
    // c2 draws three leads: two prospects and one won.
    for (const what of ['interested', 'interested', 'converted']) {
      const l = (await ok(c2.post('/api/v1/desk/pull'))).lead
      assert.ok(l, 'a lead from the pool')
      assert.equal((await outcome(c2, l, what)).lead, null)
    }
    await ok(boss.put('/api/v1/settings/pool_holding_cap', { body: { value: '2' } }))
    const d = await ok(c2.get('/api/v1/desk'))
    assert.equal(d.lead, null)
    assert.equal(d.can_pull, false, 'holds two prospects: at the cap')
    assertProblem(await c2.post('/api/v1/desk/pull'), 409, 'holding_cap_reached')
    assertProblem(await c2.post('/api/v1/desk/pull', { lang: 'en' }), 409, 'holding_cap_reached', { lang: 'en' })
    // The deal preview warns about it and gives c2 nothing.
    const mgr = await w.as('mgr')
    const inPool = (await ok(mgr.get('/api/v1/pool'))).pool.total
    assert.ok(inPool > 0)
    const pv = await ok(mgr.post('/api/v1/deals/preview', { body: { pool: true, agent_ids: [user.c2.id] } }))
    const atCap = pv.warnings.find((x) => x.code === 'agent_at_cap')
    assert.ok(atCap, JSON.stringify(pv.warnings))
    assert.equal(atCap.agent_id, user.c2.id)
    assert.match(atCap.detail, /c2/)
    assert.equal(pv.shares[0].count, 0)
    const over = pv.warnings.find((x) => x.code === 'leads_over_cap')
    assert.equal(over?.count, inPool, 'the whole pool stays')
    // With room for one more, one lead; the won lead is not counted (else 3 would be full).
    await ok(boss.put('/api/v1/settings/pool_holding_cap', { body: { value: '3' } }))
    assert.equal((await ok(c2.get('/api/v1/desk'))).can_pull, true)
    const pv3 = await ok(mgr.post('/api/v1/deals/preview', { body: { pool: true, agent_ids: [user.c2.id] } }))
    assert.equal(pv3.shares[0].count, 1)
    assert.ok(pv3.warnings.some((x) => x.code === 'agent_capped'), JSON.stringify(pv3.warnings))
    await ok(boss.put('/api/v1/settings/pool_holding_cap', { body: { value: '0' } }))
  })
})

// ------------------------------------------------------------------ the scheduler

describe('the scheduled run', () => {
  const w = world('scheduler')
  const batch = {}
  const user = {}
  w.srv = useServer({
    args: ['--clock-file', w.file, '--scheduler-interval', '1'],
    setup: async (db) => {
      for (const u of await addUsers(db, [
        { username: 'boss', role: 'admin' },
        { username: 's1', role: 'agent' },
      ])) user[u.username] = u
      setSettings(db, { calling_hours: '00:00-24:00', pool_follow_up_days: 2, pool_warn_days: 1 })
      addBatch(db, batch, 'sched', 3, 'B')
    },
  })

  test('runs by itself, warns, recycles, and audits every run with its counts as system', async () => {
    const boss = await w.as('boss')
    await ok(boss.post('/api/v1/deals', { body: { batch_ids: [batch.sched.id], agent_ids: [user.s1.id] } }), 201)
    const entries = async () => (await ok((await w.as('boss')).get('/api/v1/audit?action=pool.recycle&limit=200'))).items
    const waitFor = async (pred) => {
      for (let i = 0; i < 100; i++) {
        const found = (await entries()).find(pred)
        if (found) return found
        await new Promise((r) => setTimeout(r, 100))
      }
      assert.fail('no such pool.recycle entry')
    }
    const quiet = await waitFor((e) => e.actor === 'system')
    assert.equal(quiet.detail.recycled, 0)
    assert.equal(quiet.detail.scope, 'all')

    w.set(T0 + DAY + 60)
    const warned = await waitFor((e) => e.detail.warned === 3)
    assert.equal(warned.actor, 'system')
    w.set(T0 + 2 * DAY + 60)
    const recycled = await waitFor((e) => e.detail.recycled === 3)
    assert.equal(recycled.actor, 'system')
    assert.deepEqual(recycled.detail.by_quality, { A: 0, B: 3, C: 0 })
    assert.equal(recycled.detail.follow_up, 3)
    assert.equal((await ok((await w.as('s1')).get('/api/v1/desk'))).lead, null)
    const overview = await ok((await w.as('boss')).get('/api/v1/pool'))
    assert.equal(overview.pool.recycled, 3)
    assert.equal(overview.last_run.actor, 'system')
    cliOk(['audit', 'verify'], { db: w.srv.db })
  })
})

// ------------------------------------------------------------------ pulls at the same moment

describe('pulls at the same moment', () => {
  test('12 agents pull from a pool of 30 at once until it is empty: no lead to two agents, none lost, quotas kept', async () => {
    const AGENTS = 12
    const LEADS = 30
    const QUOTA = 3 // 12 x 3 = 36 pulls allowed: more than the pool holds
    const names = Array.from({ length: AGENTS }, (_, i) => `p${String(i).padStart(2, '0')}`)
    const dir = tempDir('dialdeck-pull-')
    const db = join(dir, 'pull.db')
    const clock = testClock(dir, T0) // one China day from start to end
    let s, phones
    try {
      s = await startServer({
        db,
        args: ['--clock-file', clock.file, '--scheduler-interval', '0'],
        setup: async () => {
          await addUsers(db, [
            { username: 'boss', role: 'admin' },
            ...names.map((username) => ({ username, role: 'agent' })),
          ], { concurrency: 6 })
          setSettings(db, { calling_hours: '00:00-24:00', pull_mode: 1, pull_daily_quota: QUOTA })
          // An imported batch nobody was dealt: all of it is in the pool.
          const csv = writeLeadsCsv(dir, 'pool.csv', LEADS, { from: 7000 })
          assert.equal(importLeads(db, csv.file).imported, LEADS)
          phones = csv.phones.map((p) => `+86${p}`)
        },
      })
      const boss = s.client.as(await s.client.login('boss'))
      assert.equal((await ok(boss.get('/api/v1/pool'))).pool.total, LEADS, 'the whole batch is in the pool')
      const agents = await Promise.all(names.map(async (n) => s.client.as(await s.client.login(n))))

      const pulled = new Map(names.map((n) => [n, []])) // agent -> leads it pulled, in order
      const shownTo = new Map() // lead id -> [agent, ...]
      let last = null // the answers of the last round
      for (let round = 1; ; round++) {
        assert.ok(round <= LEADS + 1, 'the pool empties')
        // Every agent pulls at the same moment, from two tabs (a double click).
        const answers = await Promise.all(names.map(async (_, i) =>
          Promise.all([agents[i].post('/api/v1/desk/pull'), agents[i].post('/api/v1/desk/pull')])))
        const got = [] // [agent index, lead] of this round
        for (const [i, [a, b]] of answers.entries()) {
          const name = names[i]
          const where = `round ${round}, ${name}: ${a.status} ${a.text} / ${b.status} ${b.text}`
          if (pulled.get(name).length >= QUOTA) {
            // Its daily quota is used up: both tabs are refused, whatever the pool holds.
            assertProblem(a, 429, 'pull_quota_reached')
            assertProblem(b, 429, 'pull_quota_reached')
            continue
          }
          assert.equal(a.status, 200, where)
          assert.equal(b.status, 200, where)
          assert.equal(a.body.lead?.id ?? null, b.body.lead?.id ?? null, `both tabs show the same lead, ${where}`)
          if (a.body.lead) got.push([i, a.body.lead])
        }
        // No lead is the current lead of two agents: the desks agree with the pulls and are all different.
        const desks = await Promise.all(agents.map((api) => ok(api.get('/api/v1/desk'))))
        const current = desks.map((d) => d.lead?.id).filter((id) => id !== undefined)
        assert.equal(new Set(current).size, current.length, `round ${round}: a lead on two desks: ${current}`)
        assert.equal(current.length, got.length, `round ${round}: every pulled lead is on its agent's desk`)
        for (const [i, lead] of got) {
          assert.equal(desks[i].lead?.id, lead.id, `round ${round}: ${names[i]}'s desk shows the lead it pulled`)
          assert.ok(phones.includes(lead.phone), `${lead.phone} is from the pool`)
          pulled.get(names[i]).push(lead)
          shownTo.set(lead.id, [...(shownTo.get(lead.id) ?? []), names[i]])
        }
        last = answers
        if (!got.length) break
        // All answer at once; with nothing dealt, each desk is empty again.
        const answered = await Promise.all(got.map(([i, lead]) => outcome(agents[i], lead, 'not_interested')))
        for (const [k, d] of answered.entries()) assert.equal(d.lead, null, `${names[got[k][0]]}'s desk after its outcome`)
      }

      const twice = [...shownTo].filter(([, who]) => who.length > 1)
      assert.deepEqual(twice, [], 'no lead was pulled twice (by one agent or by two)')
      assert.equal(shownTo.size, LEADS, 'every pool lead was pulled: none lost')
      const seen = [...pulled.values()].flat().map((l) => l.phone).sort()
      assert.deepEqual(seen, [...phones].sort(), 'the numbers pulled are exactly the pool\'s')
      for (const [name, leads] of pulled) assert.ok(leads.length <= QUOTA, `${name} pulled ${leads.length} > ${QUOTA}`)

      // The pool is empty: an agent with quota left is answered 200 with no lead
      // (the documented "lead is null when the pool has none"); one at its quota, 429.
      const agentsLeft = names.filter((n) => pulled.get(n).length < QUOTA)
      assert.ok(agentsLeft.length > 0, 'the pool ran out before every quota did')
      for (const [i, [a]] of last.entries()) {
        if (pulled.get(names[i]).length >= QUOTA) assertProblem(a, 429, 'pull_quota_reached')
        else assert.deepEqual([a.status, a.body.lead], [200, null], `${names[i]} with an empty pool: ${a.text}`)
      }
      const again = await agents[names.indexOf(agentsLeft[0])].post('/api/v1/desk/pull')
      assert.deepEqual([again.status, again.body.lead], [200, null], 'pulling again: still nothing')
      assert.equal((await ok(boss.get('/api/v1/pool'))).pool.total, 0, 'the pool overview says it is empty')
      for (const [i, name] of names.entries()) {
        if (pulled.get(name).length >= QUOTA) {
          assert.equal((await ok(agents[i].get('/api/v1/desk'))).can_pull, false, `${name} used its quota: no pull button`)
        }
      }
      if (HAS_SQLITE3) {
        assert.equal(sqlite(db, 'SELECT COUNT(*), COUNT(DISTINCT lead_id) FROM pool_claims').trim(), `${LEADS}|${LEADS}`,
          'one claim per pulled lead')
        const most = sqlite(db, 'SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM pool_claims GROUP BY agent_id)')
        assert.ok(Number(most) <= QUOTA, `an agent has ${most.trim()} claims today`)
      }
    } finally {
      const ended = s ? await s.stop() : null
      rmSync(dir, { recursive: true, force: true })
      if (ended) assert.deepEqual([ended.code, ended.signal], [0, null], `pull server exit\n${s.log()}`)
    }
  })
})
