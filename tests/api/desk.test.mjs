// The agent's desk over HTTP: one lead at a time with its details, the same
// lead on every reload, outcomes that answer with the next lead, idempotent
// retries, the order rules (callbacks, retries, new leads) on a file clock,
// calling hours, the do-not-call list, low_stock without counts, pulling from
// the pool, the manager's view of agents, and 20 agents working at once;
// on servers of their own: the time on desk a manager sees per agent, and
// calling hours by the local time of a number outside China.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  addDepartment, addUsers, assertProblem, HAS_SQLITE3, PASSWORD, importLeads, setSettings, sqlite, startServer, tempDir,
  useServer, workThroughDesk, writeLeadsCsv, testClock, keysMatching,
} from './helpers.mjs'

const files = tempDir('dialdeck-desk-')
// 2026-11-23 10:00 China time (UTC+8). The clock only moves forward.
const T0 = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000
const clock = testClock(files, T0)
const clockFile = clock.file
const setClock = clock.set
const advance = clock.advance
const iso = (t) => new Date(t * 1000).toISOString()
after(() => rmSync(files, { recursive: true, force: true }))

const AGENTS = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'dm1', 'dm2', 'dp']
const batch = {} // name -> {id, phones}
const user = {} // username -> user JSON

const srv = useServer({
  args: ['--clock-file', clockFile],
  setup: async (db) => {
    addDepartment(db, 'DESK', '电销三部')
    const specs = [
      { username: 'boss', role: 'admin' },
      { username: 'mgr', role: 'manager', department: 'DESK' },
      ...AGENTS.map((username) => ({ username, role: 'agent', department: 'DESK' })),
    ]
    for (const u of await addUsers(db, specs)) user[u.username] = u
    setSettings(db, {
      calling_hours: '00:00-24:00',
      retry_delay_minutes: 10,
      max_attempts: 2,
      low_stock_threshold: 10,
    })
    let from = 1000
    const add = (name, n, extra = {}) => {
      const { file, phones } = writeLeadsCsv(files, `${name}.csv`, n, { from, extra })
      from += n
      const rep = importLeads(db, file, { name, quality: 'A' })
      assert.equal(rep.imported, n, `batch ${name}`)
      batch[name] = { id: rep.batch_id, phones }
    }
    add('pool', 5) // first, so a pull takes these; never dealt
    add('cycle', 6, { 楼盘: '万科城', 备注: 'VIP客户' })
    add('idem', 4)
    add('retry', 4)
    add('callback', 5)
    add('hours', 2)
    add('dnc', 5)
    add('dnc2', 2)
    add('low3', 3)
    add('low20', 20)
    add('mgr1', 12)
    add('mgr2', 3)
    add('leave', 3)
  },
})

// Sessions expire on the server's (file) clock, so log in again once the
// clock has moved on by hours.
const sessions = new Map() // username -> {api, at}
async function as(name) {
  await srv.ready
  const s = sessions.get(name)
  if (s && clock.now - s.at < 3 * 3600) return s.api
  const api = srv.client.as(await srv.client.login(name))
  sessions.set(name, { api, at: clock.now })
  return api
}

async function deal(batchName, agentName, by = 'boss') {
  const r = await (await as(by)).post('/api/v1/deals', {
    body: { batch_ids: [batch[batchName].id], agent_ids: [user[agentName].id] },
  })
  assert.equal(r.status, 201, r.text)
  assert.equal(r.body.total, batch[batchName].phones.length)
  return r.body
}

async function setting(key, value) {
  const r = await (await as('boss')).put(`/api/v1/settings/${key}`, { body: { value: String(value) } })
  assert.equal(r.status, 200, r.text)
}

const DESK_KEYS = ['can_pull', 'lead', 'low_stock']

// POST /api/v1/desk/outcome for `lead`; asserts 200 and the desk's shape.
async function outcome(api, lead, what, extra = {}) {
  const r = await api.post('/api/v1/desk/outcome', {
    body: { lead_id: lead.id, outcome: what, note: '', request_id: randomUUID(), ...extra },
  })
  assert.equal(r.status, 200, `${what} on lead ${lead.id}: ${r.text}`)
  assert.deepEqual(Object.keys(r.body).sort(), DESK_KEYS)
  return r.body
}

async function desk(api) {
  const r = await api.get('/api/v1/desk')
  assert.equal(r.status, 200, r.text)
  assert.deepEqual(Object.keys(r.body).sort(), DESK_KEYS)
  return r.body
}

// Gives `what` to every lead until the desk is empty; returns the leads seen.
const workThrough = (api, lead, what = 'not_interested') =>
  workThroughDesk(lead, (l) => outcome(api, l, what))

const digits = (lead) => lead.phone.replace(/^\+86/, '')

describe('desk', () => {
  test('one lead with its details; the same lead on every reload and in a second tab', async () => {
    await deal('cycle', 'd1')
    const d1 = await as('d1')
    // The first look from two tabs at once: one lead, the same for both.
    const [body, twin] = await Promise.all([desk(d1), desk(d1)])
    const lead = body.lead
    assert.equal(twin.lead?.id, lead?.id, 'two tabs opened at once show the same lead')
    assert.ok(lead, 'a lead is on the desk')
    assert.equal(typeof lead.id, 'number')
    assert.match(lead.name, /^客户\d+$/)
    assert.match(lead.phone, /^\+861\d{10}$/, 'phone in E.164')
    assert.ok(batch.cycle.phones.includes(digits(lead)), `${lead.phone} is from the dealt batch`)
    assert.equal(typeof lead.phone_display, 'string')
    assert.equal(lead.phone_display.replace(/\s/g, ''), digits(lead))
    assert.notEqual(lead.phone_display, digits(lead), 'the display form is grouped')
    for (const k of ['region', 'carrier']) assert.ok(typeof lead[k] === 'string' && lead[k].length > 0, `${k}: ${lead[k]}`)
    assert.equal(lead.area, '', 'no area column in this file')
    assert.deepEqual(lead.attributes, { 楼盘: '万科城', 备注: 'VIP客户' })
    assert.deepEqual(lead.history, [])
    assert.equal(typeof body.low_stock, 'boolean')
    assert.equal(typeof body.can_pull, 'boolean')

    assert.equal((await desk(d1)).lead.id, lead.id, 'a reload shows the same lead')
    const tab2 = srv.client.as(await srv.client.login('d1'))
    assert.equal((await desk(tab2)).lead.id, lead.id, 'a second tab shows the same lead')
  })

  test('outcome errors: not current (409), invalid outcome, callback without time or in the past (400)', async () => {
    const d1 = await as('d1')
    const lead = (await desk(d1)).lead
    const post = (body) => d1.post('/api/v1/desk/outcome', { body: { request_id: randomUUID(), ...body } })
    assertProblem(await post({ lead_id: lead.id + 100000, outcome: 'not_interested' }), 409, 'not_current_lead')
    assertProblem(await post({ lead_id: lead.id, outcome: 'maybe_later' }), 400, 'invalid_outcome')
    assertProblem(await post({ lead_id: lead.id, outcome: 'callback' }), 400, 'callback_time_required')
    assertProblem(await post({ lead_id: lead.id, outcome: 'callback', callback_at: iso(clock.now - 60) }), 400, 'callback_in_past')
    assertProblem(await d1.post('/api/v1/desk/outcome', { body: { lead_id: lead.id, outcome: 'later' }, lang: 'en' }),
      400, 'invalid_outcome', { lang: 'en' })
    assert.equal((await desk(d1)).lead.id, lead.id, 'nothing was recorded: the same lead is still current')
    assert.deepEqual((await desk(d1)).lead.history, [])
  })

  test('each outcome answers with the next lead; interested/converted/not_interested/wrong_number never come back', async () => {
    const d1 = await as('d1')
    let lead = (await desk(d1)).lead
    const order = ['interested', 'converted', 'not_interested', 'wrong_number', 'not_interested', 'not_interested']
    const seen = []
    for (const what of order) {
      assert.ok(lead, `a lead for ${what}`)
      assert.ok(!seen.some((l) => l.id === lead.id), `lead ${lead.id} came back after ${seen.find((l) => l.id === lead.id)?.what}`)
      seen.push({ id: lead.id, what })
      const next = await outcome(d1, lead, what, { note: `备注 ${what}` })
      if (next.lead) assert.notEqual(next.lead.id, lead.id)
      lead = next.lead
    }
    assert.equal(lead, null, 'six leads dealt, six outcomes: the desk is empty')
    assert.equal((await desk(d1)).lead, null)
    assert.equal(new Set(seen.map((s) => s.id)).size, 6)
    // The old leads are no longer anyone's current lead.
    assertProblem(await d1.post('/api/v1/desk/outcome', {
      body: { lead_id: seen[0].id, outcome: 'not_interested', request_id: randomUUID() },
    }), 409, 'not_current_lead')
    if (HAS_SQLITE3) {
      const status = Object.fromEntries(sqlite(srv.db, `SELECT id, status FROM leads WHERE batch_id = ${batch.cycle.id}`)
        .trim().split('\n').map((l) => l.split('|')).map(([i, s]) => [Number(i), s]))
      assert.deepEqual(seen.map((s) => status[s.id]), ['prospect', 'prospect', 'closed', 'closed', 'closed', 'closed'])
    }
  })

  test('a retried outcome (same request_id) does not skip a lead', async () => {
    await deal('idem', 'd2')
    const d2 = await as('d2')
    const l1 = (await desk(d2)).lead
    const body = { lead_id: l1.id, outcome: 'not_interested', note: '不需要', request_id: 'req-idem-1' }
    const a = await d2.post('/api/v1/desk/outcome', { body })
    assert.equal(a.status, 200, a.text)
    const l2 = a.body.lead
    assert.ok(l2 && l2.id !== l1.id)
    const b = await d2.post('/api/v1/desk/outcome', { body })
    assert.equal(b.status, 200, b.text)
    assert.equal(b.body.lead?.id, l2.id, 'the retried post shows the same next lead as the first')
    assert.equal((await desk(d2)).lead.id, l2.id)

    // Two copies of the same post at once.
    const body2 = { lead_id: l2.id, outcome: 'wrong_number', request_id: 'req-idem-2' }
    const [c, d] = await Promise.all([1, 2].map(() => d2.post('/api/v1/desk/outcome', { body: body2 })))
    assert.equal(c.status, 200, c.text)
    assert.equal(d.status, 200, d.text)
    const l3 = c.body.lead
    assert.ok(l3 && ![l1.id, l2.id].includes(l3.id))
    assert.equal(d.body.lead?.id, l3.id)

    const rest = await workThrough(d2, l3)
    const all = [l1, l2, ...rest]
    assert.equal(all.length, 4, 'every lead of the batch was reached')
    assert.equal(new Set(all.map((l) => l.id)).size, 4)
    if (HAS_SQLITE3) {
      const n = sqlite(srv.db, `SELECT COUNT(*) FROM call_log WHERE lead_id IN (${l1.id}, ${l2.id}) AND outcome IS NOT NULL`)
      assert.equal(n.trim(), '2', 'one recorded outcome per lead')
    }
  })

  test('no_answer comes back after retry_delay_minutes, first before new leads, and closes after max_attempts', async () => {
    await deal('retry', 'd3')
    const d3 = await as('d3')
    const l1 = (await desk(d3)).lead
    let r = await outcome(d3, l1, 'no_answer', { note: '无人接听' })
    const l2 = r.lead
    assert.ok(l2 && l2.id !== l1.id)

    advance(5 * 60) // retry due after 10 minutes: not yet
    r = await outcome(d3, l2, 'not_interested')
    const l3 = r.lead
    assert.ok(l3, 'another lead')
    assert.notEqual(l3.id, l1.id, 'the no-answer lead does not come back after 5 minutes')

    advance(6 * 60) // 11 minutes after the no-answer
    r = await outcome(d3, l3, 'not_interested')
    assert.equal(r.lead?.id, l1.id, 'the due retry comes first, before the new lead')
    assert.equal(r.lead.attempts, 1)
    assert.equal(r.lead.history.length, 1)
    assert.equal(r.lead.history[0].outcome, 'no_answer')
    assert.equal(r.lead.history[0].note, '无人接听')
    assert.equal(r.lead.history[0].agent, 'd3')

    r = await outcome(d3, l1, 'no_answer') // second attempt = max_attempts 2: closed
    const l4 = r.lead
    assert.ok(l4 && ![l1.id, l2.id, l3.id].includes(l4.id), 'then the new lead')
    advance(11 * 60)
    r = await outcome(d3, l4, 'not_interested')
    assert.equal(r.lead, null, 'after max_attempts the no-answer lead never comes back')
    advance(3 * 3600)
    assert.equal((await desk(d3)).lead, null)
  })

  test('a callback comes back once its time passes, before due retries and new leads', async () => {
    await deal('callback', 'd4')
    const d4 = await as('d4')
    const t1 = clock.now
    const l1 = (await desk(d4)).lead
    let r = await outcome(d4, l1, 'callback', { callback_at: iso(t1 + 30 * 60), note: '半小时后回电' })
    const l2 = r.lead
    r = await outcome(d4, l2, 'no_answer') // retry at t1 + 10 min
    const l3 = r.lead
    assert.ok(l2 && l3 && new Set([l1.id, l2.id, l3.id]).size === 3)

    setClock(t1 + 20 * 60)
    r = await outcome(d4, l3, 'no_answer') // retry at t1 + 30 min
    assert.equal(r.lead?.id, l2.id, 'at +20 min: the due retry, not the callback (due at +30)')
    r = await outcome(d4, l2, 'not_interested')
    const l4 = r.lead
    assert.ok(l4 && ![l1.id, l2.id, l3.id].includes(l4.id), 'then a new lead')

    setClock(t1 + 31 * 60)
    r = await outcome(d4, l4, 'not_interested')
    assert.equal(r.lead?.id, l1.id, 'at +31 min: the callback first, before the due retry and the new lead')
    assert.equal(r.lead.status, 'callback')
    assert.equal(Date.parse(r.lead.callback_at), (t1 + 30 * 60) * 1000)
    assert.equal(r.lead.history[0]?.outcome, 'callback')
    assert.equal(r.lead.history[0]?.note, '半小时后回电')
    r = await outcome(d4, l1, 'interested')
    assert.equal(r.lead?.id, l3.id, 'then the due retry')
    r = await outcome(d4, l3, 'not_interested')
    const l5 = r.lead
    assert.ok(l5 && ![l1.id, l2.id, l3.id, l4.id].includes(l5.id), 'then the last new lead')
    r = await outcome(d4, l5, 'not_interested')
    assert.equal(r.lead, null)
  })

  test('calling hours: no CN lead at 23:00 China time, one at 10:00', async () => {
    await deal('hours', 'd5')
    await setting('calling_hours', '09:00-21:00')
    try {
      setClock(Date.UTC(2026, 10, 23, 15, 0, 0) / 1000) // 23:00 in China
      const late = await desk(await as('d5'))
      assert.equal(late.lead, null, 'outside calling hours the desk shows no lead')
      setClock(Date.UTC(2026, 10, 24, 2, 0, 0) / 1000) // 10:00 the next morning
      const morning = await desk(await as('d5'))
      assert.ok(morning.lead, 'within calling hours a lead is shown')
      assert.ok(batch.hours.phones.includes(digits(morning.lead)))
    } finally {
      await setting('calling_hours', '00:00-24:00')
    }
  })

  test('DNC: a number put on the list is held back; do_not_call adds the number to the list', async () => {
    await deal('dnc', 'd6')
    const held = batch.dnc.phones[2]
    const add = await (await as('boss')).post('/api/v1/dnc', { body: { phone: held, note: '客户投诉' } })
    assert.equal(add.status, 201, add.text)
    const d6 = await as('d6')
    const first = (await desk(d6)).lead
    assert.ok(first)
    assert.notEqual(digits(first), held)
    const r = await outcome(d6, first, 'do_not_call', { note: '要求不再来电' })
    const rest = await workThrough(d6, r.lead)
    const shown = [first, ...rest].map(digits)
    assert.equal(shown.length, 4, `four of five leads shown: ${shown}`)
    assert.ok(!shown.includes(held), 'the DNC number was never shown')

    const list = await (await as('boss')).get(`/api/v1/dnc?q=${digits(first)}`)
    assert.equal(list.status, 200, list.text)
    assert.equal(list.body.items.length, 1, 'do_not_call put the number on the DNC list')
    assert.equal(list.body.items[0].phone, first.phone)
  })

  test('DNC: a number put on the list while its lead is on the desk is not shown on the next reload', async () => {
    await deal('dnc2', 'd6')
    const d6 = await as('d6')
    const cur = (await desk(d6)).lead
    assert.ok(cur)
    const add = await (await as('boss')).post('/api/v1/dnc', { body: { phone: cur.phone, note: '客户投诉' } })
    assert.equal(add.status, 201, add.text)
    const after = await desk(d6)
    assert.notEqual(after.lead?.id, cur.id, `lead ${cur.id} (${cur.phone}) is on the DNC list but still on the desk`)
  })

  test('low_stock: true with 3 leads, false with 20; agents never see a count of leads', async () => {
    await deal('low3', 'd7')
    await deal('low20', 'd8')
    const d7 = await as('d7')
    const d8 = await as('d8')
    const few = await desk(d7)
    assert.ok(few.lead)
    assert.equal(few.low_stock, true)
    const many = await desk(d8)
    assert.ok(many.lead)
    assert.equal(many.low_stock, false)
    const next = await outcome(d8, many.lead, 'not_interested')
    assert.equal(next.low_stock, false)

    // Every answer an agent can get: no key that counts leads.
    const COUNTS = /(^|_)(count|counts|total|totals|queue|queued|remaining|left|leads|number|num|size|stock_count)($|_)/i
    const answers = [few, many, next, (await d8.get('/api/v1/me')).body]
    assert.deepEqual(keysMatching(answers, COUNTS), [])
  })

  test('pull: 403 pull_disabled when off; with a quota of 2, two pulls give leads, the third 429', async () => {
    const d9 = await as('d9')
    assertProblem(await d9.post('/api/v1/desk/pull'), 403, 'pull_disabled')
    assert.equal((await desk(d9)).can_pull, false)
    await setting('pull_mode', 1)
    await setting('pull_daily_quota', 2)
    try {
      const empty = await desk(d9)
      assert.equal(empty.lead, null, 'd9 has no dealt leads')
      assert.equal(empty.can_pull, true)
      const pulled = []
      for (let i = 0; i < 2; i++) {
        const p = await d9.post('/api/v1/desk/pull')
        assert.equal(p.status, 200, p.text)
        assert.deepEqual(Object.keys(p.body).sort(), DESK_KEYS)
        assert.ok(p.body.lead, `pull ${i + 1} gives a lead`)
        assert.ok(batch.pool.phones.includes(digits(p.body.lead)), 'from the pool')
        pulled.push(p.body.lead.id)
        const o = await outcome(d9, p.body.lead, 'not_interested')
        assert.equal(o.lead, null, 'nothing else queued')
        assert.equal(o.can_pull, i === 0, `can_pull after pull ${i + 1}`)
      }
      assert.notEqual(pulled[0], pulled[1])
      assertProblem(await d9.post('/api/v1/desk/pull'), 429, 'pull_quota_reached')
      assert.equal((await desk(d9)).lead, null)
    } finally {
      await setting('pull_mode', 0)
    }
  })

  test('an agent on leave (paused) gets nothing: the lead on screen can still be answered, no next lead, no pull', async () => {
    await deal('leave', 'dp')
    const dp = await as('dp')
    const boss = await as('boss')
    const first = (await desk(dp)).lead
    assert.ok(first, 'a lead before the leave')
    const pause = await boss.patch(`/api/v1/agents/${user.dp.id}`, { body: { agent_status: 'paused' } })
    assert.equal(pause.status, 200, pause.text)
    await setting('pull_mode', 1)
    try {
      const o = await outcome(dp, first, 'no_answer')
      assert.equal(o.lead, null, 'two leads are still queued, but none is shown while on leave')
      assert.equal(o.can_pull, false)
      const again = await desk(dp)
      assert.equal(again.lead, null)
      assert.equal(again.can_pull, false)
      assertProblem(await dp.post('/api/v1/desk/pull'), 403, 'agent_paused')
      const back = await boss.patch(`/api/v1/agents/${user.dp.id}`, { body: { agent_status: 'active' } })
      assert.equal(back.status, 200, back.text)
      const after = (await desk(dp)).lead
      assert.ok(after, 'back from leave: the queue continues')
      assert.ok(batch.leave.phones.includes(digits(after)))
      assert.notEqual(after.id, first.id)
    } finally {
      await setting('pull_mode', 0)
    }
  })

  test('pull skips a pool number that is on the DNC list', async () => {
    const d9 = await as('d9')
    await setting('pull_mode', 1)
    await setting('pull_daily_quota', 10)
    try {
      // Pulls take the oldest unassigned lead: the pool batch came first, two of it are gone.
      const left = batch.pool.phones.slice(2)
      const add = await (await as('boss')).post('/api/v1/dnc', { body: { phone: left[0] } })
      assert.equal(add.status, 201, add.text)
      const p = await d9.post('/api/v1/desk/pull')
      assert.equal(p.status, 200, p.text)
      assert.ok(p.body.lead, `the pool still has ${left.length - 1} callable leads, but the pull gave none`)
      assert.notEqual(digits(p.body.lead), left[0], 'the pulled number is not on the DNC list')
    } finally {
      await setting('pull_mode', 0)
    }
  })

  test("a manager's agent list shows today's calls per agent and low_stock flags", async () => {
    await deal('mgr1', 'dm1', 'mgr')
    await deal('mgr2', 'dm2', 'mgr')
    const dm1 = await as('dm1')
    const dm2 = await as('dm2')
    let lead = (await desk(dm1)).lead
    for (const what of ['interested', 'not_interested', 'no_answer']) lead = (await outcome(dm1, lead, what)).lead
    assert.ok((await desk(dm2)).lead)

    const r = await (await as('mgr')).get('/api/v1/agents')
    assert.equal(r.status, 200, r.text)
    const by = Object.fromEntries(r.body.items.map((a) => [a.username, a]))
    assert.equal(by.dm1.today.calls, 3)
    assert.deepEqual(by.dm1.today.outcomes, { interested: 1, not_interested: 1, no_answer: 1 })
    assert.equal(by.dm1.low_stock, false, '10 open leads, threshold 10')
    assert.equal(by.dm2.today.calls, 0)
    assert.equal(by.dm2.low_stock, true, '3 open leads')
    assert.equal(by.d7.low_stock, true)
    assert.equal(by.d8.low_stock, false)
    assert.equal(by.d8.today.calls, 1)
    assert.ok(!('boss' in by) && !('mgr' in by), 'only agents are listed')
  })
})

describe('desk under load', () => {
  test('20 agents work 400 leads at once: no lead shown twice or to two agents, 400 outcomes logged', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`)
    const dir = tempDir()
    const db = join(dir, 'load.db')
    let loadBatch, s
    try {
      s = await startServer({
        db,
        setup: async () => {
          await addUsers(db, [{ username: 'boss', role: 'admin' }])
          setSettings(db, { calling_hours: '00:00-24:00' })
          const rep = importLeads(db, writeLeadsCsv(dir, 'load.csv', 400, { from: 5000 }).file)
          assert.equal(rep.imported, 400)
          loadBatch = rep.batch_id
        },
      })
      const admin = s.client.as(await s.client.login('boss'))
      // The agents are made over the API, side by side (password hashing is the slow part).
      await Promise.all(names.map(async (username) => {
        const r = await admin.post('/api/v1/users', { body: { username, role: 'agent', password: PASSWORD } })
        assert.equal(r.status, 201, r.text)
      }))
      const agents = await Promise.all(names.map(async (n) => s.client.as(await s.client.login(n))))
      const d = await admin.post('/api/v1/deals', { body: { batch_ids: [loadBatch], strategy: 'even' } })
      assert.equal(d.status, 201, d.text)
      assert.equal(d.body.total, 400)
      assert.deepEqual(d.body.shares.map((x) => x.count), Array(20).fill(20))

      const shownTo = new Map() // lead id -> [agent, ...] (one entry per time it was shown)
      const posted = { not_interested: 0, interested: 0, wrong_number: 0 }
      const OUTCOMES = Object.keys(posted)
      let total = 0
      await Promise.all(names.map(async (name, i) => {
        const api = agents[i]
        let r = await api.get('/api/v1/desk')
        assert.equal(r.status, 200, r.text)
        let lead = r.body.lead
        for (let guard = 0; lead && guard < 60; guard++) {
          shownTo.set(lead.id, [...(shownTo.get(lead.id) ?? []), name])
          if (guard % 4 === 0) {
            const again = await api.get('/api/v1/desk') // a reload in between
            assert.equal(again.body.lead?.id, lead.id, `${name}: a reload shows the same lead`)
          }
          const what = OUTCOMES[Math.floor(Math.random() * OUTCOMES.length)]
          r = await api.post('/api/v1/desk/outcome', {
            body: { lead_id: lead.id, outcome: what, note: '', request_id: randomUUID() },
          })
          assert.equal(r.status, 200, `${name} ${what} on ${lead.id}: ${r.text}`)
          posted[what]++
          total++
          lead = r.body.lead
        }
        assert.equal(lead, null, `${name}'s desk ends empty`)
      }))

      const twoAgents = [...shownTo].filter(([, who]) => new Set(who).size > 1)
      assert.deepEqual(twoAgents, [], 'no lead was shown to two agents')
      const twice = [...shownTo].filter(([, who]) => who.length > 1)
      assert.deepEqual(twice, [], 'no lead was shown twice')
      assert.equal(shownTo.size, 400, 'every lead was shown')
      assert.equal(total, 400, 'one outcome per lead')
      const list = await admin.get('/api/v1/agents')
      for (const a of list.body.items) {
        assert.equal(a.queue, 0, `${a.username} has no open lead left`)
        assert.equal(a.today.calls, 20, `${a.username} made 20 calls today`)
      }
      if (HAS_SQLITE3) {
        const rows = sqlite(db, 'SELECT status, COUNT(*) FROM leads GROUP BY status ORDER BY status').trim()
        assert.equal(rows, `closed|${posted.not_interested + posted.wrong_number}\nprospect|${posted.interested}`)
        assert.equal(sqlite(db, 'SELECT COUNT(*) FROM call_log WHERE outcome IS NOT NULL').trim(), '400')
        assert.equal(sqlite(db, 'SELECT COUNT(*) FROM call_log').trim(), '400', 'no shown-but-unanswered rows')
        assert.equal(sqlite(db, 'SELECT COUNT(DISTINCT lead_id) FROM call_log').trim(), '400')
      }
    } finally {
      const ended = s ? await s.stop() : null
      rmSync(dir, { recursive: true, force: true })
      if (ended) assert.deepEqual([ended.code, ended.signal], [0, null], `load server exit\n${s.log()}`)
    }
  })
})

// A server of its own on a file clock starting at `start`; `setup(db, dir)`
// before it starts. run(srv, clock, dir) does the test; the server must then
// stop cleanly.
async function ownServer(start, setup, run) {
  const dir = tempDir()
  const db = join(dir, 'own.db')
  const c = testClock(dir, start)
  let s
  try {
    s = await startServer({ db, args: ['--clock-file', c.file, '--scheduler-interval', '0'], setup: () => setup(db, dir) })
    await run(s, c, dir)
  } finally {
    const ended = s ? await s.stop() : null
    rmSync(dir, { recursive: true, force: true })
    if (ended) assert.deepEqual([ended.code, ended.signal], [0, null], `server exit\n${s.log()}`)
  }
}

describe('time on desk', () => {
  test("a manager sees each agent's time on desk today: from a lead shown to its outcome; 0 for an agent who recorded none", async () => {
    const start = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000 // 10:00 China time
    const users = {}
    const batches = {}
    await ownServer(start, async (db, dir) => {
      addDepartment(db, 'TIME', '电销五部')
      for (const u of await addUsers(db, [
        { username: 'boss', role: 'admin' },
        { username: 'tmgr', role: 'manager', department: 'TIME' },
        { username: 'worker', role: 'agent', department: 'TIME' },
        { username: 'idler', role: 'agent', department: 'TIME' },
      ])) users[u.username] = u
      setSettings(db, { calling_hours: '00:00-24:00', retry_delay_minutes: 60 })
      let from = 8000
      for (const [name, n] of [['work', 6], ['idle', 3]]) {
        const rep = importLeads(db, writeLeadsCsv(dir, `${name}.csv`, n, { from }).file, { name })
        assert.equal(rep.imported, n)
        batches[name] = rep.batch_id
        from += n
      }
    }, async (s, c) => {
      const login = async (name) => s.client.as(await s.client.login(name))
      let mgr = await login('tmgr')
      for (const [b, agent] of [['work', 'worker'], ['idle', 'idler']]) {
        const r = await mgr.post('/api/v1/deals', { body: { batch_ids: [batches[b]], agent_ids: [users[agent].id] } })
        assert.equal(r.status, 201, r.text)
      }
      const today = async () => {
        const r = await mgr.get('/api/v1/agents')
        assert.equal(r.status, 200, r.text)
        return Object.fromEntries(r.body.items.map((a) => [a.username, a.today]))
      }
      let worker = await login('worker')
      const idler = await login('idler')

      // Both open the desk at 10:00; the idler leaves its lead on screen all along.
      const l1 = (await desk(worker)).lead
      assert.ok(l1)
      assert.ok((await desk(idler)).lead, 'the idler has a lead on screen')
      c.advance(95) // 95 s on the first lead
      const l2 = (await outcome(worker, l1, 'interested')).lead
      assert.ok(l2)
      c.advance(40) // 40 s on the second, with a reload in between
      assert.equal((await desk(worker)).lead.id, l2.id)
      const l3 = (await outcome(worker, l2, 'no_answer')).lead
      assert.ok(l3)
      c.advance(300) // the third lead stays on screen: no outcome yet, so not counted

      let t = await today()
      assert.equal(t.worker.calls, 2)
      assert.equal(t.worker.desk_seconds, 95 + 40, 'desk time: shown to outcome, for each lead answered today')
      assert.equal(t.idler.calls, 0)
      assert.equal(t.idler.desk_seconds ?? 0, 0, 'a lead on screen without an outcome adds no desk time')

      // The next China day starts again from 0 (sessions end on the server's clock: log in again).
      c.set(start + 86400)
      mgr = await login('tmgr')
      worker = await login('worker')
      t = await today()
      assert.deepEqual([t.worker.calls, t.worker.desk_seconds], [0, 0], 'a new day: no calls, no desk time yet')
      // The lead shown yesterday is answered now: a row shown yesterday is not today's.
      // The next one, shown now and answered 30 s later, is.
      assert.equal((await desk(worker)).lead.id, l3.id)
      const l4 = (await outcome(worker, l3, 'not_interested')).lead
      assert.ok(l4)
      c.advance(30)
      await outcome(worker, l4, 'not_interested')
      t = await today()
      assert.equal(t.worker.desk_seconds, 30, 'only the lead shown today counts, not the night on screen')
      assert.equal(t.idler.desk_seconds ?? 0, 0)
    })
  })
})

describe("calling hours by the number's local time", () => {
  test('a Los Angeles number is held back at 22:00 there (14:00 in China) and shown at 10:00 there (02:00 in China), when China numbers wait', async () => {
    const US = '+16502530000' // Mountain View, California: America/Los_Angeles
    const hourIn = (zone, t) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' })
      .format(new Date(t * 1000)))
    // The three moments, and what the local hours are (calling hours 09:00-21:00).
    const t1 = Date.UTC(2026, 10, 24, 6, 0, 0) / 1000
    const t2 = Date.UTC(2026, 10, 24, 18, 0, 0) / 1000
    const t3 = Date.UTC(2026, 10, 25, 2, 0, 0) / 1000
    assert.deepEqual([t1, t2, t3].map((t) => [hourIn('Asia/Shanghai', t), hourIn('America/Los_Angeles', t)]),
      [[14, 22], [2, 10], [10, 18]])
    const cnPhones = ['13800138001', '13900139002']
    let agent, batchId
    await ownServer(t1, async (db, dir) => {
      agent = (await addUsers(db, [{ username: 'boss', role: 'admin' }, { username: 'la', role: 'agent' }]))[1]
      setSettings(db, { calling_hours: '09:00-21:00', retry_delay_minutes: 10, max_attempts: 3 })
      const file = join(dir, 'mixed.csv')
      writeFileSync(file, ['电话,姓名', '+1 650-253-0000,Pat Lee', `${cnPhones[0]},客户甲`, `${cnPhones[1]},客户乙`].join('\n') + '\n')
      const rep = importLeads(db, file, { name: 'mixed' })
      assert.equal(rep.imported, 3, `the US number is imported too: ${JSON.stringify(rep)}`)
      batchId = rep.batch_id
    }, async (s, c) => {
      const boss = s.client.as(await s.client.login('boss'))
      const d = await boss.post('/api/v1/deals', { body: { batch_ids: [batchId], agent_ids: [agent.id] } })
      assert.equal(d.status, 201, d.text)
      assert.equal(d.body.total, 3)

      // 14:00 in China, 22:00 in Los Angeles: the two China numbers, then nothing.
      let la = s.client.as(await s.client.login('la'))
      const a = (await desk(la)).lead
      assert.ok(a, 'a China number is callable at 14:00 China time')
      const b = (await outcome(la, a, 'not_interested')).lead
      assert.ok(b, 'the second China number')
      assert.deepEqual([a.phone, b.phone].sort(), cnPhones.map((p) => `+86${p}`).sort(), 'the US number is held back')
      const r = await outcome(la, b, 'no_answer') // a retry, due 10 minutes later
      assert.equal(r.lead, null, 'the US number is not shown at 22:00 in Los Angeles')

      // 02:00 in China, 10:00 in Los Angeles: the China retry is due (and would come
      // before a new lead) but waits; the US number is shown.
      c.set(t2)
      la = s.client.as(await s.client.login('la'))
      const us = (await desk(la)).lead
      assert.equal(us?.phone, US, 'at 10:00 in Los Angeles the US number is shown, not the China retry')
      assert.equal((await outcome(la, us, 'not_interested')).lead, null, 'the China retry waits for China morning')

      // 10:00 in China: the retry is back.
      c.set(t3)
      la = s.client.as(await s.client.login('la'))
      const back = (await desk(la)).lead
      assert.equal(back?.id, b.id, 'the China retry at 10:00 China time')
      assert.equal(back.attempts, 1)
    })
  })
})
