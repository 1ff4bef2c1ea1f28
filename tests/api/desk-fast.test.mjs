// The desk's fast path, seen from outside: once the slow path (GET
// /api/v1/desk) has shown an agent a lead, the server answers an outcome for
// that lead from memory and writes it a moment later (a journal written every
// ~20 ms, and before any other request touches the database); the memory is
// dropped whenever the database may have changed under it. A user must never
// notice: a CLI change (calling hours, pausing the agent) counts on the very
// next answer; so do a recall, also one racing the outcome, and a DNC entry
// for a lead read ahead; every outcome answered is visible at once to
// managers and survives a clean stop; a retried post records one outcome;
// the reveal budget counts the leads shown from memory; an agent holding
// more leads than the open count follows gets low_stock exactly on time.
//
// Every test runs its own server on its own database, with `--log-level
// debug` so that it can check its premise: outcomes were really answered from
// memory (the journal's `event=desk_fold ops=N` lines). The servers share a
// file clock fixed at 10:00 China time, so "today" and the calling hours do
// not depend on when the tests run.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  addDepartment, addUsers, assertProblem, cliOk, importLeads, setSettings, startServer, tempDir, testClock, useServer,
  workThroughDesk, writeLeadsCsv,
} from './helpers.mjs'

const files = tempDir('dialdeck-fast-')
after(() => rmSync(files, { recursive: true, force: true }))
// 2026-11-23 10:00 China time (UTC+8); the clock never moves.
const T0 = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000
const clock = testClock(files, T0)
const iso = (t) => new Date(t * 1000).toISOString()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const serveArgs = (clk) => ['--clock-file', clk.file, '--log-level', 'debug', '--scheduler-interval', '0']
const SERVE = serveArgs(clock)

const DESK_KEYS = ['can_pull', 'lead', 'low_stock']
const digits = (lead) => lead.phone.replace(/^\+86/, '')
const ids = (leads) => leads.map((l) => l.id)

// ------------------------------------------------------------------ one company per server

let nextPhone = 20_000 // distinct numbers across the whole file

// Fills `co` (users, batches) on a new database: an admin (boss), a manager
// (mgr) and the agents of one department; calling hours all day;
// `batches` {name: count} imported (quality B), not dealt.
async function setupCompany(db, co, { agents, batches, settings = {} }) {
  addDepartment(db, 'TEL', '电销一部')
  const specs = [
    { username: 'boss', role: 'admin' },
    { username: 'mgr', role: 'manager', department: 'TEL' },
    ...agents.map((username) => ({ username, role: 'agent', department: 'TEL' })),
  ]
  for (const u of await addUsers(db, specs)) co.user[u.username] = u
  setSettings(db, { calling_hours: '00:00-24:00', ...settings })
  for (const [name, n] of Object.entries(batches)) {
    const { file, phones } = writeLeadsCsv(files, `${co.tag}-${name}.csv`, n, { from: nextPhone })
    nextPhone += n
    const rep = importLeads(db, file, { name })
    assert.equal(rep.imported, n, `batch ${name}`)
    co.batch[name] = { id: rep.batch_id, phones }
  }
}

function newCompany(tag) {
  const co = {
    tag,
    user: {}, // username -> user JSON
    batch: {}, // name -> {id, phones (11 digits)}
    logins: new Map(), // username -> login session
    srv: null,
    // An API client of `name`, logged in once per company.
    async as(name) {
      await co.srv.ready
      if (!co.logins.has(name)) co.logins.set(name, await co.srv.client.login(name))
      return co.srv.client.as(co.logins.get(name))
    },
    id: (name) => co.user[name].id,
    // Deals the whole batch to one agent (as the admin).
    async deal(batchName, agentName) {
      const r = await ok((await co.as('boss')).post('/api/v1/deals', {
        body: { batch_ids: [co.batch[batchName].id], agent_ids: [co.id(agentName)] },
      }), 201)
      assert.equal(r.total, co.batch[batchName].phones.length, `the whole batch ${batchName} is dealt`)
      return r
    },
  }
  return co
}

// A company on a server of its own for the enclosing describe(), on the
// shared clock or on `clk`.
function company(tag, opts, clk = clock) {
  const co = newCompany(tag)
  co.srv = useServer({ args: serveArgs(clk), setup: (db) => setupCompany(db, co, opts) })
  return co
}

// ------------------------------------------------------------------ HTTP

async function ok(promise, status = 200) {
  const r = await promise
  assert.equal(r.status, status, `${r.res?.url}: expected ${status}, got ${r.status} ${r.text}`)
  return r.body
}

async function desk(api) {
  const body = await ok(api.get('/api/v1/desk'))
  assert.deepEqual(Object.keys(body).sort(), DESK_KEYS)
  return body
}

// POST /api/v1/desk/outcome for `lead`; the raw answer.
function post(api, lead, what = 'not_interested', extra = {}) {
  return api.post('/api/v1/desk/outcome', {
    body: { lead_id: lead.id, outcome: what, note: '', request_id: randomUUID(), ...extra },
  })
}

// The same, asserting 200 and the desk's shape; returns the desk.
async function outcome(api, lead, what = 'not_interested', extra = {}) {
  const r = await post(api, lead, what, extra)
  assert.equal(r.status, 200, `${what} on lead ${lead.id}: ${r.status} ${r.text}`)
  assert.deepEqual(Object.keys(r.body).sort(), DESK_KEYS)
  return r.body
}

// Gives `what` to every lead until the desk is empty; returns the leads seen.
const workThrough = (api, lead, what = 'not_interested') =>
  workThroughDesk(lead, (l) => outcome(api, l, what))

// GET /api/v1/agents as username -> agent item.
async function agents(api) {
  const r = await ok(api.get('/api/v1/agents'))
  return Object.fromEntries(r.items.map((a) => [a.username, a]))
}

// The agent's lead.outcome entries in the audit trail, oldest first.
async function outcomeAudit(admin, username) {
  const r = await ok(admin.get(`/api/v1/audit?action=lead.outcome&actor=${username}&limit=500`))
  return r.items.reverse()
}

async function auditIntact(admin) {
  const v = await ok(admin.post('/api/v1/audit/verify'))
  assert.equal(v.ok, true, `the audit chain is broken: ${JSON.stringify(v)}`)
}

async function poolTotal(api) {
  return (await ok(api.get('/api/v1/pool'))).pool.total
}

// ------------------------------------------------------------------ the premise

// Outcomes the journal wrote (answered from memory), from the debug log
// (srv.log(): useServer's object holds a copy of stderr as it was at start).
const foldedOps = (srv) => [...srv.log().matchAll(/event=desk_fold ops=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)

// Asserts that at least `n` outcomes were answered from memory on `srv` (the
// log arrives through a pipe: wait for it a little).
async function assertFastPath(srv, n) {
  const deadline = Date.now() + 3000
  while (foldedOps(srv) < n && Date.now() < deadline) await sleep(20)
  assert.ok(foldedOps(srv) >= n,
    `premise: at least ${n} outcomes answered from memory (event=desk_fold ops=… in the debug log), ` +
    `found ${foldedOps(srv)}; the test did not exercise the fast path`)
}

// ------------------------------------------------------------------ tests

describe('a CLI change while the server runs counts at once', () => {
  const co = company('cli', { agents: ['h1'], batches: { cli: 8 } })

  test('calling hours set with the CLI hold the next lead back at once; so does pausing the agent; the outcomes are recorded', async () => {
    const { srv } = co
    await co.deal('cli', 'h1')
    const h1 = await co.as('h1')
    const boss = await co.as('boss')
    const l1 = (await desk(h1)).lead
    assert.ok(l1, 'a lead on the desk')
    const l2 = (await outcome(h1, l1, 'not_interested')).lead
    const l3 = (await outcome(h1, l2, 'interested')).lead
    assert.ok(l2 && l3, 'two outcomes, two next leads')
    await assertFastPath(srv, 2)

    // Another process (the CLI) changes the calling hours: 12:00-13:00
    // excludes 10:00, the time in China (the leads' time zone) on the clock.
    cliOk(['settings', 'set', 'calling_hours', '12:00-13:00'], { db: srv.db })
    const held = await outcome(h1, l3, 'wrong_number')
    assert.equal(held.lead, null,
      `outside the calling hours set with the CLI (12:00-13:00, it is 10:00 in China) no lead may be shown, ` +
      `but the outcome's answer shows lead ${held.lead?.id}: the desk answered from memory kept before the change`)
    assert.equal((await desk(h1)).lead, null, 'a reload shows no lead either')
    // The outcome whose answer held the next lead back is recorded.
    let me = (await agents(boss)).h1
    assert.equal(me.today.calls, 3, `today's calls of h1: ${JSON.stringify(me.today)}`)
    assert.deepEqual(me.today.outcomes, { not_interested: 1, interested: 1, wrong_number: 1 })
    assert.deepEqual((await outcomeAudit(boss, 'h1')).map((e) => e.target), ids([l1, l2, l3]).map((i) => `lead:${i}`))

    // Held back, not lost: with the hours back, the queue goes on (and the
    // desk answers from memory again).
    cliOk(['settings', 'set', 'calling_hours', '00:00-24:00'], { db: srv.db })
    const l4 = (await desk(h1)).lead
    assert.ok(l4, 'within the calling hours again, a lead is shown')
    assert.ok(!ids([l1, l2, l3]).includes(l4.id), `lead ${l4.id} was already worked`)
    const l5 = (await outcome(h1, l4, 'not_interested')).lead
    assert.ok(l5, 'a next lead')
    await assertFastPath(srv, 3)

    // Pausing the agent with the CLI (on leave): the outcome on screen is
    // recorded, no next lead is shown.
    cliOk(['user', 'set', 'h1', '--status', 'paused'], { db: srv.db })
    const onLeave = await outcome(h1, l5, 'busy')
    assert.equal(onLeave.lead, null,
      `h1 was paused with the CLI, yet the outcome's answer shows lead ${onLeave.lead?.id}`)
    me = (await agents(boss)).h1
    assert.equal(me.agent_status, 'paused')
    assert.equal(me.today.calls, 5, `today's calls of h1: ${JSON.stringify(me.today)}`)
    assert.equal(me.today.outcomes.busy, 1)

    // Back from leave: the rest of the batch, each lead once (the busy one is
    // retried only after an hour, which never comes on this clock).
    cliOk(['user', 'set', 'h1', '--status', 'active'], { db: srv.db })
    const rest = await workThrough(h1, (await desk(h1)).lead)
    const seen = [l1, l2, l3, l4, l5, ...rest]
    assert.equal(new Set(ids(seen)).size, seen.length, `a lead was shown twice: ${ids(seen)}`)
    assert.deepEqual(seen.map(digits).sort(), [...co.batch.cli.phones].sort(), 'every lead of the batch was shown once')
    assert.equal((await agents(boss)).h1.today.calls, 8)
  })
})

describe("a manager's recall while the agent's desk is in memory", () => {
  const co = company('recall', { agents: ['r1', 'r3'], batches: { r1: 8, r2: 8 } })

  test('the outcomes answered before the recall count; the recalled lead on screen cannot be answered; no lead is lost or doubled', async () => {
    const { srv } = co
    const mgr = await co.as('mgr')
    const start = await poolTotal(mgr)
    assert.equal(start, 16, 'control: both batches are in the pool')
    await co.deal('r1', 'r1')
    const r1 = await co.as('r1')
    const l1 = (await desk(r1)).lead
    const l2 = (await outcome(r1, l1, 'interested')).lead
    const l3 = (await outcome(r1, l2, 'not_interested')).lead
    assert.ok(l2 && l3)

    // At once after the last answer (its writes may still be in the journal).
    const rec = await ok(mgr.post(`/api/v1/agents/${co.id('r1')}/recall`, { body: {} }))
    assert.equal(rec.recalled, 6,
      'the recall takes the lead on screen and the 5 never shown, not the 2 leads already answered ' +
      `(recalled ${rec.recalled})`)
    // The lead on screen went back to the pool: an outcome for it is refused,
    // and no lead of the recalled queue is shown from memory.
    const late = await post(r1, l3, 'not_interested')
    assert.notEqual(late.status, 200,
      `lead ${l3.id} was recalled, yet its outcome was answered 200 with lead ${late.body?.lead?.id} ` +
      '(from memory kept before the recall)')
    assertProblem(late, 409, 'not_current_lead')
    assert.equal((await desk(r1)).lead, null, "r1's desk is empty after the recall")

    let team = await agents(mgr)
    assert.equal(team.r1.queue, 0, 'r1 holds no open lead')
    assert.equal(team.r1.today.calls, 2, `both outcomes answered before the recall are recorded: ${JSON.stringify(team.r1.today)}`)
    assert.deepEqual(team.r1.today.outcomes, { interested: 1, not_interested: 1 })
    assert.equal(await poolTotal(mgr), start - 2, 'the pool holds every lead of the two batches but the 2 answered')

    // The 6 recalled leads, dealt to r3, are each shown once: none lost, none doubled.
    const redeal = await ok((await co.as('boss')).post('/api/v1/deals', {
      body: { batch_ids: [co.batch.r1.id], agent_ids: [co.id('r3')] },
    }), 201)
    assert.equal(redeal.total, 6, 'the 6 recalled leads of the batch are dealt again')
    team = await agents(mgr)
    assert.equal(team.r3.queue, 6, 'r3 got the 6 recalled leads')
    const r3 = await co.as('r3')
    const got = await workThrough(r3, (await desk(r3)).lead)
    const expected = co.batch.r1.phones.filter((p) => p !== digits(l1) && p !== digits(l2))
    assert.deepEqual(got.map(digits).sort(), expected.sort(), 'r3 works exactly the recalled leads')

    assert.equal(await poolTotal(mgr), 8, 'the pool holds the other batch only')
    await auditIntact(await co.as('boss'))
    await assertFastPath(srv, 2)
  })
})

describe('a recall arriving while an outcome is answered from memory', () => {
  // A long queue makes the recall take a few milliseconds: long enough for
  // an outcome sent just after it to arrive while it runs.
  const co = company('race', { agents: ['q1'], batches: { q: 3000 }, settings: { fast_outcome_seconds: 0 } })

  test('whichever comes first, an outcome answered 200 is recorded and the recall takes the rest', async () => {
    const { srv } = co
    const mgr = await co.as('mgr')
    const q1 = await co.as('q1')
    const TOTAL = co.batch.q.phones.length
    let recorded = 0 // outcomes of q1 that must be in the database
    for (const [round, delay] of [1, 2, 3, 2, 4, 0].entries()) {
      const dealt = await ok(mgr.post('/api/v1/deals', { body: { pool: true, agent_ids: [co.id('q1')] } }), 201)
      assert.equal(dealt.total, TOTAL - recorded, `round ${round}: the pool is dealt to q1`)
      const m1 = (await desk(q1)).lead
      const m2 = (await outcome(q1, m1, 'not_interested')).lead // from memory
      recorded++
      const held = (await agents(mgr)).q1.queue
      // The recall first, the outcome for the lead on screen `delay` ms later.
      const [rc, o] = await Promise.all([
        mgr.post(`/api/v1/agents/${co.id('q1')}/recall`, { body: {} }),
        sleep(delay).then(() => post(q1, m2, 'not_interested')),
      ])
      assert.equal(rc.status, 200, rc.text)
      if (o.status !== 200) assertProblem(o, 409, 'not_current_lead')
      else recorded++
      const what = `round ${round} (outcome ${delay} ms after the recall): POST /api/v1/desk/outcome {lead_id: ${m2.id}} ` +
        `answered ${o.status}${o.status === 200 ? ` with lead ${o.body.lead?.id}` : ''}, ` +
        `POST /api/v1/agents/${co.id('q1')}/recall answered ${rc.text}`
      const calls = (await agents(mgr)).q1.today.calls
      const dropped = srv.log().split('\n').filter((l) => /desk_outcome_dropped/.test(l)).join('\n')
      assert.equal(calls, recorded, `${what}; today's calls of q1: ${calls}, expected ${recorded}` +
        (calls < recorded ? `: an outcome answered 200 was not recorded\n${dropped}` : ''))
      assert.equal(rc.body.recalled, held - (o.status === 200 ? 1 : 0),
        `${what}; q1 held ${held} open leads before`)
      assert.equal((await desk(q1)).lead, null, `${what}; q1's desk is empty after the recall`)
      assert.equal(await poolTotal(mgr), TOTAL - recorded, `${what}; the pool holds every lead not answered`)
    }
    await assertFastPath(srv, 6)
  })
})

describe('every outcome answered is visible at once to others', () => {
  const co = company('visible', { agents: ['f1'], batches: { f: 20 }, settings: { low_stock_threshold: 10 } })

  test('15 quick outcomes: at once after the last answer, the manager sees 15 calls by outcome, the audit 15 entries, one fast-outcome alert', async () => {
    const { srv } = co
    await co.deal('f', 'f1')
    const f1 = await co.as('f1')
    const mgr = await co.as('mgr')
    const boss = await co.as('boss')
    const tomorrow = iso(T0 + 86400)
    // 12 outcomes that close a lead, 3 that keep it open (a retry an hour
    // away, a callback tomorrow: never due on this clock).
    const plan = [
      'not_interested', 'no_answer', 'interested', 'wrong_number', 'converted', 'busy', 'not_interested',
      'callback', 'not_interested', 'interested', 'wrong_number', 'not_interested', 'not_interested',
      'converted', 'not_interested',
    ]
    const KEEPS_OPEN = new Set(['no_answer', 'busy', 'callback'])
    let cur = (await desk(f1)).lead
    assert.ok(cur)
    const worked = []
    let open = 20
    for (const [i, what] of plan.entries()) {
      const d = await outcome(f1, cur, what, what === 'callback' ? { callback_at: tomorrow } : {})
      worked.push(cur)
      if (!KEEPS_OPEN.has(what)) open--
      assert.ok(d.lead, `a next lead after outcome ${i + 1}`)
      assert.ok(!ids(worked).includes(d.lead.id), `outcome ${i + 1} answered with lead ${d.lead.id}, already worked`)
      assert.equal(d.low_stock, open < 10, `low_stock after outcome ${i + 1} (${open} open leads, threshold 10)`)
      cur = d.lead
    }
    const last = cur

    // No wait, no retry: the writes of the answers above may still be in the journal.
    const team = await agents(mgr)
    const posted = {}
    for (const what of plan) posted[what] = (posted[what] ?? 0) + 1
    assert.equal(team.f1.today.calls, plan.length, `the manager sees ${team.f1.today.calls} of f1's ${plan.length} calls`)
    assert.deepEqual(team.f1.today.outcomes, posted)
    assert.equal(team.f1.queue, open, 'open leads of f1 as the manager sees them')
    const audited = await outcomeAudit(boss, 'f1')
    assert.deepEqual(audited.map((e) => [e.target, e.detail.outcome]),
      worked.map((l, i) => [`lead:${l.id}`, plan[i]]), 'one lead.outcome entry per answer, in order')
    // Every lead shown is a reveal, the last one included.
    const reveals = (await ok(boss.get('/api/v1/audit?action=lead.reveal&actor=f1&limit=500'))).items
    assert.deepEqual(reveals.map((e) => e.target).reverse(), [...worked, last].map((l) => `lead:${l.id}`))
    // 15 outcomes within 5 s of their lead: the streak of 10 raised one alert.
    const alerts = (await ok(mgr.get('/api/v1/alerts?kind=fast_outcomes'))).items
    assert.equal(alerts.filter((a) => a.agent_username === 'f1').length, 1, JSON.stringify(alerts))
    await auditIntact(boss)
    // The agent's own reload shows what the last answer showed.
    assert.deepEqual(await desk(f1), { can_pull: false, lead: last, low_stock: open < 10 },
      'a reload shows exactly the last answer')
    await assertFastPath(srv, plan.length)
  })
})

describe('an agent holding more leads than the open count follows', () => {
  // The desk counts open leads up to low_stock_threshold + 1,000; past that
  // its count is a lower bound, counted again when it nears the threshold.
  const LEADS = 2_100
  const co = company('many', {
    agents: ['m1'],
    batches: { many: LEADS },
    settings: { low_stock_threshold: 5, reveal_budget_per_hour: 0 },
  })

  test('2,100 leads worked one after the other: low_stock exactly when fewer than 5 remain, counted again from memory after 1,000 outcomes', async () => {
    const { srv } = co
    await co.deal('many', 'm1')
    const m1 = await co.as('m1')
    let cur = (await desk(m1)).lead
    let open = LEADS
    const seen = new Set()
    while (cur) {
      assert.ok(!seen.has(cur.id), `lead ${cur.id} shown twice`)
      seen.add(cur.id)
      const d = await outcome(m1, cur)
      open--
      assert.equal(d.low_stock, open < 5, `low_stock with ${open} open leads (threshold 5)`)
      cur = d.lead
      if (open === LEADS - 1_050) {
        // The count is written once a second, by the journal's next write.
        await sleep(1100)
      }
    }
    assert.equal(seen.size, LEADS, 'every lead shown once')
    assert.equal(open, 0)
    await assertFastPath(srv, LEADS - 10)
    const recounted = [...srv.log().matchAll(/event=desk_answers .*recounted=(\d+)/g)]
      .reduce((n, m) => n + Number(m[1]), 0)
    assert.ok(recounted >= 1,
      'premise: the open count was taken again from memory (recounted=… in the debug log), not by the slow path')
  })
})

describe('a lead shown and worked before the journal writes it', () => {
  // A clock of its own: this test moves it, to bring back the retries and
  // the callback.
  const ownDir = join(files, 'joined-clock')
  mkdirSync(ownDir)
  const own = testClock(ownDir, T0)
  const co = company('joined', { agents: ['j1'], batches: { j: 30 }, settings: { reveal_budget_per_hour: 0 } }, own)

  test('is written once with its outcome: the lead comes back as a retry or callback with its history, every call counted', async () => {
    const { srv } = co
    await co.deal('j', 'j1')
    const j1 = await co.as('j1')
    const mgr = await co.as('mgr')
    const boss = await co.as('boss')
    // Every fifth lead does not answer (a retry an hour later), the eighth
    // asks for a callback in 30 minutes; the rest are closed or kept.
    const what = (i) => (i % 5 === 1 ? 'no_answer' : i === 8 ? 'callback' : i % 3 ? 'not_interested' : 'interested')
    let cur = (await desk(j1)).lead
    const worked = []
    while (cur && worked.length < 40) {
      const i = worked.length
      const w = what(i)
      worked.push({ id: cur.id, what: w, note: `备注 ${i}` })
      cur = (await outcome(j1, cur, w, { note: `备注 ${i}`, ...(w === 'callback' ? { callback_at: iso(T0 + 1800) } : {}) })).lead
    }
    assert.equal(cur, null, 'nothing due: the desk ends empty')
    assert.equal(worked.length, 30)
    await assertFastPath(srv, 20)
    const joined = [...srv.log().matchAll(/event=desk_fold ops=\d+ joined=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
    assert.ok(joined > 0, `premise: leads shown and worked in one write of the journal, found ${joined}\n${srv.log().split("\n").filter((l) => /desk_fold/.test(l)).join("\n")}`)

    const team = await agents(mgr)
    const posted = {}
    for (const w of worked) posted[w.what] = (posted[w.what] ?? 0) + 1
    assert.equal(team.j1.today.calls, 30, 'the manager sees every call')
    assert.deepEqual(team.j1.today.outcomes, posted)
    assert.deepEqual((await outcomeAudit(boss, 'j1')).map((e) => [e.target, e.detail.outcome]),
      worked.map((w) => [`lead:${w.id}`, w.what]), 'one lead.outcome entry per answer, in order')

    // Two hours later: the callback first, then the retries (all due at the
    // same time: by lead id), each with its earlier call in its history.
    own.advance(7200)
    const back = worked.filter((w) => w.what === 'callback')
      .concat(worked.filter((w) => w.what === 'no_answer').sort((a, b) => a.id - b.id))
    let d = await desk(j1)
    for (const w of back) {
      assert.ok(d.lead, `lead ${w.id} (${w.what}) comes back`)
      assert.equal(d.lead.id, w.id, `${w.what} lead ${w.id} comes back in order`)
      assert.equal(d.lead.status, w.what === 'callback' ? 'callback' : 'retry')
      assert.equal(d.lead.attempts, w.what === 'no_answer' ? 1 : 0)
      assert.deepEqual(d.lead.history.map((h) => [h.outcome, h.note, h.at]), [[w.what, w.note, iso(T0).replace(".000Z", "Z")]],
        `the history of lead ${w.id}`)
      d = await outcome(j1, d.lead, 'not_interested')
    }
    assert.equal(d.lead, null, 'nothing else comes back')
    assert.equal((await agents(mgr)).j1.today.calls, 30 + back.length)
    await auditIntact(boss)

    // The audit trail of one lead (the desk's entries are found through the
    // call log, migrations/0010_audit_desk_targets.sql): both calls of a
    // retried lead, each its reveal then its outcome, newest first; a page
    // at a time.
    const retried = back.at(-1)
    const trail = async (q) => (await ok(boss.get(`/api/v1/audit?target=lead:${retried.id}&${q}`))).items
    const all = await trail('limit=50')
    assert.deepEqual(all.map((e) => [e.action, e.target, e.actor, e.detail.outcome ?? null]), [
      ['lead.outcome', `lead:${retried.id}`, 'j1', 'not_interested'],
      ['lead.reveal', `lead:${retried.id}`, 'j1', null],
      ['lead.outcome', `lead:${retried.id}`, 'j1', 'no_answer'],
      ['lead.reveal', `lead:${retried.id}`, 'j1', null],
    ])
    const first = await trail('limit=3')
    assert.deepEqual(first.map((e) => e.id), all.slice(0, 3).map((e) => e.id))
    assert.deepEqual((await trail(`limit=3&before_id=${first.at(-1).id}`)).map((e) => e.id), [all[3].id])
    assert.deepEqual((await trail('limit=50&action=lead.reveal')).map((e) => e.id), [all[1].id, all[3].id])
  })
})

describe('leads read ahead in the background', () => {
  // No reveal budget: 200 leads in a row is load, not a leak.
  const co = company('ahead', { agents: ['r1'], batches: { r: 200 }, settings: { reveal_budget_per_hour: 0 } })

  test('200 outcomes back to back: every lead shown once, more read ahead beside the answers, all 200 recorded', async () => {
    const { srv } = co
    await co.deal('r', 'r1')
    const r1 = await co.as('r1')
    const mgr = await co.as('mgr')
    let cur = (await desk(r1)).lead
    const seen = []
    while (cur && seen.length < 250) {
      seen.push(cur)
      cur = (await outcome(r1, cur)).lead
    }
    assert.equal(cur, null, 'the desk ends empty')
    assert.equal(new Set(ids(seen)).size, seen.length, 'no lead shown twice')
    assert.deepEqual(seen.map(digits).sort(), [...co.batch.r.phones].sort(), 'every lead of the batch shown')
    // The desk holds 64 leads ahead; the other 136 were read by the
    // background reader while the agent worked (its debug lines).
    const ahead = [...srv.log().matchAll(/event=desk_read_ahead agents=\d+ leads=(\d+)/g)]
      .reduce((n, m) => n + Number(m[1]), 0)
    assert.ok(ahead >= 64, `premise: leads read ahead in the background, found ${ahead}`)
    await assertFastPath(srv, 150)
    const team = await agents(mgr)
    assert.equal(team.r1.today.calls, 200, 'the manager sees every call')
    assert.deepEqual(team.r1.today.outcomes, { not_interested: 200 })
    assert.equal(team.r1.queue, 0)
  })
})

describe('nothing answered is lost on a clean stop', () => {
  test('three agents post outcomes, SIGTERM right after the last answer: after a restart every outcome is there and each desk shows its last lead', async () => {
    const co = newCompany('stop')
    const AG = ['s1', 's2', 's3']
    const N = 12
    const first = await startServer({
      args: SERVE,
      setup: (db) => setupCompany(db, co, { agents: AG, batches: { s1: 15, s2: 15, s3: 15 } }),
    })
    co.srv = first
    first.ready = Promise.resolve(first)
    let second
    try {
      for (const a of AG) await co.deal(a, a)
      const lastOf = {}
      const workedOf = {}
      await Promise.all(AG.map(async (a) => {
        const api = await co.as(a)
        let cur = (await desk(api)).lead
        workedOf[a] = []
        for (let i = 0; i < N; i++) {
          const what = i % 3 === 1 ? 'interested' : 'not_interested'
          const d = await outcome(api, cur, what)
          workedOf[a].push([cur, what])
          assert.ok(d.lead)
          cur = d.lead
        }
        lastOf[a] = cur
      }))
      const stopped = await first.stop()
      assert.deepEqual([stopped.code, stopped.signal], [0, null], `clean exit\n${first.log()}`)
      await assertFastPath(first, N)

      second = await startServer({ db: first.db, args: SERVE })
      co.srv = second
      second.ready = Promise.resolve(second)
      const boss = await co.as('boss') // the sessions survive the restart
      const team = await agents(boss)
      for (const a of AG) {
        assert.equal(team[a].today.calls, N, `${a}: ${N} outcomes answered before the stop, ${team[a].today.calls} recorded`)
        assert.deepEqual(team[a].today.outcomes, { interested: N / 3, not_interested: (2 * N) / 3 })
        const audited = await outcomeAudit(boss, a)
        assert.deepEqual(audited.map((e) => [e.target, e.detail.outcome]),
          workedOf[a].map(([l, what]) => [`lead:${l.id}`, what]), `${a}'s outcomes in the audit trail`)
        const d = await desk(await co.as(a))
        assert.equal(d.lead?.id, lastOf[a].id,
          `${a}'s desk shows lead ${d.lead?.id} after the restart; lead ${lastOf[a].id} was on screen at the stop`)
        assert.deepEqual(d.lead, lastOf[a], `${a}: the same lead, as the last answer showed it`)
      }
      await auditIntact(boss)
    } finally {
      if (second) {
        const ended = await second.stop()
        assert.deepEqual([ended.code, ended.signal], [0, null], `second server exit\n${second.log()}`)
      } else if (!first.exit) {
        await first.stop()
      }
      first.cleanup()
    }
  })
})

describe('a number put on the DNC list while it is queued in memory', () => {
  const co = company('dnc', { agents: ['n1'], batches: { n: 6 } })

  test('is never shown, and comes back once taken off the list', async () => {
    const { srv } = co
    await co.deal('n', 'n1')
    const n1 = await co.as('n1')
    const mgr = await co.as('mgr')
    const c1 = (await desk(n1)).lead
    const c2 = (await outcome(n1, c1, 'not_interested')).lead // from memory: the rest is read ahead
    assert.ok(c2)
    await assertFastPath(srv, 1)
    // Two of the four leads not yet shown go on the DNC list.
    const unseen = co.batch.n.phones.filter((p) => p !== digits(c1) && p !== digits(c2)).sort()
    assert.equal(unseen.length, 4)
    const dnc = unseen.slice(0, 2)
    const dncIds = []
    for (const phone of dnc) dncIds.push((await ok(mgr.post('/api/v1/dnc', { body: { phone, note: '客户投诉' } }), 201)).id)

    const shown = await workThrough(n1, c2)
    for (const l of shown) assert.ok(!dnc.includes(digits(l)), `lead ${l.id} (${l.phone}) is on the DNC list but was shown`)
    assert.deepEqual(shown.map(digits).sort(), [digits(c2), ...unseen.slice(2)].sort(),
      'the desk shows the other leads, then none')
    assert.equal((await agents(mgr)).n1.queue, 2, 'the two held-back leads are still n1’s')

    // Off the list again: they come back.
    for (const id of dncIds) await ok(mgr.delete(`/api/v1/dnc/${id}`), 204)
    const back = await workThrough(n1, (await desk(n1)).lead)
    assert.deepEqual(back.map(digits).sort(), dnc, 'the two numbers taken off the list are shown again')
    assert.equal((await agents(mgr)).n1.today.calls, 6)
  })
})

describe('two tabs, or a retried post', () => {
  const co = company('retry', { agents: ['t1'], batches: { t: 8 } })

  test('the same request_id twice answers the same next lead and records one outcome', async () => {
    const { srv } = co
    await co.deal('t', 't1')
    const t1 = await co.as('t1')
    const tab2 = srv.client.as(await srv.client.login('t1'))
    const boss = await co.as('boss')
    const l1 = (await desk(t1)).lead
    assert.equal((await desk(tab2)).lead.id, l1.id, 'two tabs show the same lead')

    // A post sent again (the network retried it), from memory both times.
    const again = async (api1, api2, lead, rid, what = 'not_interested') => {
      const body = { lead_id: lead.id, outcome: what, note: '', request_id: rid }
      const a = await ok(api1.post('/api/v1/desk/outcome', { body }))
      const b = await ok(api2.post('/api/v1/desk/outcome', { body }))
      assert.ok(a.lead, `a next lead after ${lead.id}`)
      assert.equal(b.lead?.id, a.lead.id, `request ${rid} sent twice: the second answer shows lead ${b.lead?.id}, the first ${a.lead.id}`)
      assert.deepEqual(b, a, `request ${rid}: both answers alike`)
      return a.lead
    }
    const l2 = await again(t1, t1, l1, 'rid-1')
    // The same post from the second tab.
    const l3 = await again(t1, tab2, l2, 'rid-2', 'interested')
    // Two copies at once.
    const body = { lead_id: l3.id, outcome: 'wrong_number', note: '', request_id: 'rid-3' }
    const [c, d] = await Promise.all([t1, tab2].map((api) => ok(api.post('/api/v1/desk/outcome', { body }))))
    assert.ok(c.lead)
    assert.equal(d.lead?.id, c.lead.id, 'two copies of one post at once show the same next lead')
    const l4 = c.lead
    // The retry after the memory was dropped (an admin changed a setting):
    // the slow path must find the outcome the journal holds.
    const first = await ok(t1.post('/api/v1/desk/outcome', { body: { lead_id: l4.id, outcome: 'not_interested', request_id: 'rid-4' } }))
    await ok(boss.put('/api/v1/settings/max_attempts', { body: { value: '3' } }))
    const retried = await ok(t1.post('/api/v1/desk/outcome', { body: { lead_id: l4.id, outcome: 'not_interested', request_id: 'rid-4' } }))
    assert.equal(retried.lead?.id, first.lead?.id, 'a retry after the memory was dropped shows the same next lead')
    const l5 = first.lead
    // The retry after a reload (the memory loaded again).
    const fifth = await ok(t1.post('/api/v1/desk/outcome', { body: { lead_id: l5.id, outcome: 'not_interested', request_id: 'rid-5' } }))
    assert.equal((await desk(tab2)).lead.id, fifth.lead.id)
    const afterReload = await ok(t1.post('/api/v1/desk/outcome', { body: { lead_id: l5.id, outcome: 'not_interested', request_id: 'rid-5' } }))
    assert.equal(afterReload.lead?.id, fifth.lead.id, 'a retry after a reload shows the same next lead')

    const worked = [l1, l2, l3, l4, l5]
    assert.equal(new Set(ids([...worked, fifth.lead])).size, 6, 'no lead was skipped or shown twice')
    const team = await agents(boss)
    assert.equal(team.t1.today.calls, 5, `5 leads answered (each posted twice): ${JSON.stringify(team.t1.today)}`)
    const audited = await outcomeAudit(boss, 't1')
    assert.deepEqual(audited.map((e) => e.target), worked.map((l) => `lead:${l.id}`), 'one lead.outcome entry per lead')
    // The rest of the batch, each lead once.
    const rest = await workThrough(t1, fifth.lead)
    assert.deepEqual([...worked, ...rest].map(digits).sort(), [...co.batch.t.phones].sort())
    await assertFastPath(srv, 3)
  })
})

describe('the reveal budget counts the leads shown from memory', () => {
  const co = company('budget', { agents: ['b1'], batches: { b: 8 }, settings: { reveal_budget_per_hour: 4 } })

  test('with a budget of 4, the fourth outcome is recorded and answered 429, as the slow path does', async () => {
    const { srv } = co
    await co.deal('b', 'b1')
    const b1 = await co.as('b1')
    const l1 = (await desk(b1)).lead // reveal 1
    const l2 = (await outcome(b1, l1)).lead // 2
    const l3 = (await outcome(b1, l2)).lead // 3
    const l4 = (await outcome(b1, l3)).lead // 4
    assert.ok(l4, 'four leads shown')
    const locked = await post(b1, l4)
    assert.notEqual(locked.status, 200, `a fifth lead shown within the hour, past a budget of 4: ${locked.text}`)
    assertProblem(locked, 429, 'reveal_budget_exceeded')
    assert.ok(Number(locked.headers.get('retry-after')) > 0, 'Retry-After')
    assertProblem(await b1.get('/api/v1/desk'), 429, 'reveal_budget_exceeded')
    const me = (await agents(await co.as('mgr'))).b1
    assert.equal(me.today.calls, 4, `the outcome on screen is recorded before the refusal: ${JSON.stringify(me.today)}`)
    const reveals = (await ok((await co.as('boss')).get('/api/v1/audit?action=lead.reveal&actor=b1&limit=500'))).items
    assert.equal(reveals.length, 4, 'four reveals')
    await assertFastPath(srv, 3)
  })
})
