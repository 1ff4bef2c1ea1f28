// Dealt but never shown leads (the agents' queues, migrations/0009) behave,
// over HTTP, exactly as the agents' own leads: they leave the pool overview
// at once and count in each agent's `queue`; a second deal finds nothing; a
// pull never takes one; a manager's delete sees whose they are (another
// team's are out of scope, its own team's go to the bin as 'assigned' and
// come back to their agent on restore); a manager's export includes them;
// low_stock counts them; a recall returns them to the pool.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import {
  addDepartment, addUsers, assertProblem, importLeads, setSettings, tempDir, useServer, writeLeadsCsv, sheetRows, unzipXlsx,
} from './helpers.mjs'

const files = tempDir('dialdeck-queues-')
after(() => rmSync(files, { recursive: true, force: true }))

const user = {} // username -> user JSON (id ...)
const batch = {} // name -> {id, phones (11 digits)}

const srv = useServer({
  args: ['--scheduler-interval', '0'],
  setup: async (db) => {
    addDepartment(db, 'HQ', '总部')
    addDepartment(db, 'S1', '电销一部', 'HQ')
    addDepartment(db, 'S2', '电销二部', 'HQ')
    const specs = [
      { username: 'boss', role: 'admin', department: 'HQ' },
      { username: 'mgr', role: 'manager', department: 'S1' },
      { username: 'mgr2', role: 'manager', department: 'S2' },
      // S1: the manager's own agents; o1 is in S2.
      ...['a1', 'a2', 'q1', 'p1', 'd1', 'e1', 'l1', 'r1', 'r2'].map((username) => ({
        username, role: 'agent', department: 'S1',
      })),
      { username: 'o1', role: 'agent', department: 'S2' },
    ]
    for (const u of await addUsers(db, specs)) user[u.username] = u
    setSettings(db, { calling_hours: '00:00-24:00', low_stock_threshold: 5, export_max_rows: 10000 })
    let from = 7000
    const add = (name, n, extra = {}) => {
      const { file, phones } = writeLeadsCsv(files, `${name}.csv`, n, { from, extra })
      from += n
      const rep = importLeads(db, file, { name })
      assert.equal(rep.imported, n, `batch ${name}`)
      batch[name] = { id: rep.batch_id, phones }
    }
    // Import order matters for pulls (the oldest pool lead first): pullq is
    // the oldest batch (dealt to q1 before anyone pulls), pullfree next.
    add('pullq', 6)
    add('pullfree', 2)
    add('overview', 10)
    add('del', 6)
    add('exp', 4, { 楼盘: '万科城' })
    add('low', 8)
    add('rec1', 7)
    add('rec2', 7)
  },
})

let boss, mgr, mgr2
before(async () => {
  await srv.ready
  boss = srv.client.as(await srv.client.login('boss'))
  mgr = srv.client.as(await srv.client.login('mgr'))
  mgr2 = srv.client.as(await srv.client.login('mgr2'))
})

const sessions = new Map()
async function as(name) {
  if (!sessions.has(name)) sessions.set(name, srv.client.as(await srv.client.login(name)))
  return sessions.get(name)
}

const id = (name) => user[name].id
const digits = (lead) => lead.phone.replace(/^\+86/, '')

async function ok(promise, status = 200) {
  const r = await promise
  assert.equal(r.status, status, `${r.res?.url}: expected ${status}, got ${r.status} ${r.text}`)
  return r.body
}

// GET /api/v1/pool: {total, of(batch name) -> leads of that batch in the pool}.
async function pool(api = boss) {
  const p = (await ok(api.get('/api/v1/pool'))).pool
  return { total: p.total, of: (name) => p.by_batch.find((b) => b.batch_id === batch[name].id)?.leads ?? 0 }
}

// GET /api/v1/agents as username -> agent item.
async function agents(api = boss) {
  const r = await ok(api.get('/api/v1/agents'))
  return Object.fromEntries(r.items.map((a) => [a.username, a]))
}

async function deal(name, agentNames, by = boss) {
  const r = await ok(by.post('/api/v1/deals', {
    body: { batch_ids: [batch[name].id], agent_ids: agentNames.map(id), strategy: 'even' },
  }), 201)
  assert.equal(r.total, batch[name].phones.length, `the whole batch ${name} is dealt`)
  return r
}

async function desk(name) {
  const r = await (await as(name)).get('/api/v1/desk')
  assert.equal(r.status, 200, `desk of ${name}: ${r.text}`)
  return r.body
}

async function outcome(name, lead, what = 'not_interested') {
  const r = await (await as(name)).post('/api/v1/desk/outcome', {
    body: { lead_id: lead.id, outcome: what, note: '', request_id: randomUUID() },
  })
  assert.equal(r.status, 200, `${what} on lead ${lead.id} by ${name}: ${r.text}`)
  return r.body
}

async function setting(key, value) {
  await ok(boss.put(`/api/v1/settings/${key}`, { body: { value: String(value) } }))
}

// ------------------------------------------------------------------ xlsx

// GET /api/v1/batches/{id}/export.xlsx in English: {rows header, leads: [{col: value}]}.
async function exportBatch(name, who) {
  const session = await srv.client.login(who)
  const res = await fetch(`${srv.base}/api/v1/batches/${batch[name].id}/export.xlsx`, {
    headers: { Cookie: session.cookie, 'Accept-Language': 'en' },
  })
  const bytes = Buffer.from(await res.arrayBuffer())
  assert.equal(res.status, 200, `export of ${name} by ${who}: ${res.status} ${bytes.toString('utf8').slice(0, 300)}`)
  const rows = sheetRows(unzipXlsx(bytes, files))
  const header = rows[1]
  const leads = rows.slice(2).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])))
  return { header: res.headers.get('x-export-rows'), columns: header, leads }
}

// ------------------------------------------------------------------ tests

describe('dealt, never shown leads are the agents’ leads', () => {
  test('pool overview: a deal takes the batch out of the pool at once; queues count it; nothing is left to deal', async () => {
    const before = await pool()
    assert.equal(before.of('overview'), 10, 'control: the batch is in the pool before the deal')
    const r = await deal('overview', ['a1', 'a2'])
    assert.deepEqual(r.shares.map((s) => [s.agent_id, s.count]).sort(), [[id('a1'), 5], [id('a2'), 5]].sort())

    const afterDeal = await pool()
    assert.equal(afterDeal.total, before.total - 10, `pool.total ${before.total} -> ${afterDeal.total} after dealing 10`)
    assert.equal(afterDeal.of('overview'), 0, 'the dealt batch is no longer listed in pool.by_batch')
    const mgrView = await pool(mgr)
    assert.equal(mgrView.total, afterDeal.total, 'the manager sees the same pool')

    for (const api of [boss, mgr]) {
      const q = await agents(api)
      assert.equal(q.a1.queue, 5, "a1's queue holds its share before it saw any lead")
      assert.equal(q.a2.queue, 5, "a2's queue holds its share before it saw any lead")
    }

    // The same batch again: nothing to deal.
    const again = await ok(boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.overview.id] } }))
    assert.equal(again.total, 0, `a second preview of the dealt batch would deal ${again.total} leads again`)
    assert.ok(again.warnings.some((w) => w.code === 'no_leads'), JSON.stringify(again.warnings))
    assertProblem(await boss.post('/api/v1/deals', { body: { batch_ids: [batch.overview.id], agent_ids: [id('a1')] } }),
      400, 'deal_nothing_to_deal')
    assertProblem(await mgr.post('/api/v1/deals', { body: { batch_ids: [batch.overview.id] }, lang: 'en' }),
      400, 'deal_nothing_to_deal', { lang: 'en' })

    // A deal from the whole pool offers exactly what the overview counts.
    const fromPool = await ok(boss.post('/api/v1/deals/preview', { body: { pool: true, agent_ids: [id('a1')] } }))
    assert.equal(fromPool.total, afterDeal.total, 'a pool deal offers exactly the leads the pool overview counts')

    // Showing a lead moves it from the queue to the agent's own leads: no count changes.
    const shown = (await desk('a1')).lead
    assert.ok(shown, 'a1 has a lead on its desk')
    assert.ok(batch.overview.phones.includes(digits(shown)), 'the lead is from the dealt batch')
    assert.equal((await agents()).a1.queue, 5, 'a1 still holds 5 leads once one is shown')
    assert.equal((await pool()).total, afterDeal.total, 'the pool is unchanged by showing a lead')
    // The failed second deal changed nothing either.
    assert.equal((await agents()).a2.queue, 5)
  })

  test('pull: an agent with an empty queue never pulls a lead queued to another agent', async () => {
    const dealt = await deal('pullq', ['q1'])
    assert.equal(dealt.shares[0].count, 6)
    assert.equal((await agents()).p1.queue, 0, 'p1 holds nothing')
    await setting('pull_mode', 1)
    await setting('pull_daily_quota', 10)
    try {
      const empty = await desk('p1')
      assert.equal(empty.lead, null, 'p1 has no dealt leads')
      assert.equal(empty.can_pull, true)
      // The queued batch holds the oldest leads; the pull must skip them.
      const pulled = []
      for (let i = 0; i < 2; i++) {
        const r = await ok((await as('p1')).post('/api/v1/desk/pull'))
        assert.ok(r.lead, `pull ${i + 1} gives a lead (the pool is not empty)`)
        assert.ok(!batch.pullq.phones.includes(digits(r.lead)),
          `pull ${i + 1} gave lead ${r.lead.id} (${r.lead.phone}), which is queued to q1 who has not seen it yet`)
        assert.ok(batch.pullfree.phones.includes(digits(r.lead)),
          `pull ${i + 1} takes the oldest lead really in the pool (batch pullfree), got ${r.lead.phone}`)
        pulled.push(digits(r.lead))
        const next = await outcome('p1', r.lead)
        assert.equal(next.lead, null, 'p1 has nothing queued')
      }
      assert.notEqual(pulled[0], pulled[1])
    } finally {
      await setting('pull_mode', 0)
    }
    // q1 still gets every one of its 6 leads.
    let lead = (await desk('q1')).lead
    const seen = []
    for (let guard = 0; lead && guard < 20; guard++) {
      seen.push(digits(lead))
      lead = (await outcome('q1', lead)).lead
    }
    assert.deepEqual(seen.sort(), [...batch.pullq.phones].sort(), 'q1 works through exactly the 6 leads dealt to it')
  })

  test('delete by batch as a manager: another team’s queued leads are out of scope; its own go to the bin as assigned and come back', async () => {
    await deal('del', ['d1', 'o1'])
    let q = await agents()
    assert.deepEqual([q.d1.queue, q.o1.queue], [3, 3], 'control: 3 queued to d1 (S1) and 3 to o1 (S2)')
    const poolBefore = await pool()
    assert.equal(poolBefore.of('del'), 0, 'the dealt batch is not in the pool')

    const r = await ok(mgr.post('/api/v1/leads/delete', { body: { batch_id: batch.del.id } }))
    assert.deepEqual(r, { deleted: 3, out_of_scope: 3 },
      "the S1 manager deletes d1's 3 queued leads; o1's 3 (S2) are out of its scope")
    q = await agents()
    assert.equal(q.o1.queue, 3, "o1's leads were not deleted")
    assert.equal(q.d1.queue, 0, "d1's leads are in the bin")
    const counts = (await ok(boss.get('/api/v1/leads/by-batch'))).items.find((i) => i.batch_id === batch.del.id)
    assert.deepEqual({ leads: counts.leads, deleted: counts.deleted }, { leads: 6, deleted: 3 })
    assert.equal((await pool()).total, poolBefore.total, 'the pool neither lost nor gained leads')

    const bin = await ok(boss.get(`/api/v1/recycle-bin?batch_id=${batch.del.id}&page_size=200`))
    assert.equal(bin.total, 3)
    for (const it of bin.items) {
      assert.equal(it.status_before_delete, 'assigned', `lead ${it.id} was d1's when deleted, not a pool lead`)
      assert.equal(it.deleted_by, 'mgr')
      assert.equal(it.owner, q.d1.display_name, `lead ${it.id} shows its owner d1 in the bin`)
    }

    const restored = await ok(boss.post('/api/v1/recycle-bin/restore', { body: { lead_ids: bin.items.map((i) => i.id) } }))
    assert.equal(restored.restored, 3)
    assert.equal(restored.returned_to_pool, 0, 'no restored lead went to the pool: d1 is an active agent')
    q = await agents()
    assert.equal(q.d1.queue, 3, "d1's queue is back to 3 after the restore")
    assert.equal(q.o1.queue, 3)
    assert.equal((await pool()).of('del'), 0, 'the restored leads are not in the pool')
    const lead = (await desk('d1')).lead
    assert.ok(lead, "d1's desk shows a lead after the restore")
    assert.ok(bin.items.some((i) => i.id === lead.id), `d1's desk shows lead ${lead.id}, one of the restored leads`)
    const other = (await desk('o1')).lead
    assert.ok(other && !bin.items.some((i) => i.id === other.id), "o1's desk shows one of its own leads")
  })

  test("export: a manager's export includes leads queued to its agents (never shown), as Queued with their agent", async () => {
    await deal('exp', ['e1'])
    const e1 = (await agents()).e1
    assert.equal(e1.queue, 4)
    const mine = await exportBatch('exp', 'mgr')
    assert.equal(mine.header, '4', 'X-Export-Rows of the S1 manager')
    assert.equal(mine.leads.length, 4, 'the S1 manager exports the 4 leads queued to its agent e1')
    assert.deepEqual(mine.leads.map((l) => l.Phone.replace(/\D/g, '')).sort(), [...batch.exp.phones].sort())
    for (const l of mine.leads) {
      assert.equal(l.Status, 'Queued', `lead ${l['Lead ID']} is e1's (status), not in the pool`)
      assert.equal(l.Agent, e1.display_name, `lead ${l['Lead ID']} names its agent`)
      assert.equal(l['楼盘'], '万科城', `the file's extra column: ${JSON.stringify(l)}`)
    }
    const theirs = await exportBatch('exp', 'mgr2')
    assert.equal(theirs.leads.length, 0, "the S2 manager exports none of an S1 agent's queued leads")
    const all = await exportBatch('exp', 'boss')
    assert.equal(all.leads.length, 4)
    assert.ok(all.leads.every((l) => l.Status === 'Queued' && l.Agent === e1.display_name), JSON.stringify(all.leads))
    // Exporting shows no lead: e1 still holds all 4.
    assert.equal((await agents()).e1.queue, 4)
  })

  test('low_stock counts the queued leads: false with 8 (threshold 5), true once fewer than 5 remain', async () => {
    await deal('low', ['l1'])
    let d = await desk('l1')
    assert.ok(d.lead, 'l1 has a lead')
    assert.equal(d.low_stock, false, 'l1 holds 8 leads (1 on screen, 7 never shown): not low with a threshold of 5')
    let q = (await agents()).l1
    assert.deepEqual([q.queue, q.low_stock], [8, false])
    // Each outcome closes a lead: 7, 6, 5 open leads are not low; 4 is.
    const flags = []
    for (let i = 0; i < 4; i++) {
      d = await outcome('l1', d.lead)
      assert.ok(d.lead, `a next lead after outcome ${i + 1}`)
      flags.push(d.low_stock)
    }
    assert.deepEqual(flags, [false, false, false, true], 'low_stock after 1..4 outcomes (7, 6, 5, 4 leads left)')
    assert.equal((await desk('l1')).low_stock, true)
    q = (await agents()).l1
    assert.deepEqual([q.queue, q.low_stock], [4, true])
  })

  test('recall: never-shown queued leads are recalled and go back to the pool', async () => {
    const start = await pool()
    assert.deepEqual([start.of('rec1'), start.of('rec2')], [7, 7], 'control: both batches are in the pool')
    await deal('rec1', ['r1'])
    await deal('rec2', ['r2'])
    const dealt = await pool()
    assert.equal(dealt.total, start.total - 14)
    // r2 has one lead on screen (owned), the other 6 never shown; r1 has seen nothing.
    assert.ok((await desk('r2')).lead, 'r2 has a lead on its desk')
    let q = await agents()
    assert.deepEqual([q.r1.queue, q.r2.queue], [7, 7])

    const one = await ok(mgr.post(`/api/v1/agents/${id('r1')}/recall`, { body: {} }))
    assert.equal(one.recalled, q.r1.queue, 'r1: every never-shown queued lead is recalled')
    assert.equal(one.deal_id, null)
    const two = await ok(mgr.post(`/api/v1/agents/${id('r2')}/recall`, { body: {} }))
    assert.equal(two.recalled, q.r2.queue, 'r2: the shown lead and the 6 never shown are recalled')

    q = await agents()
    assert.deepEqual([q.r1.queue, q.r2.queue], [0, 0], 'nothing left in their queues')
    const back = await pool()
    assert.equal(back.total, start.total, `the pool grows back by 14: ${dealt.total} -> ${back.total}`)
    assert.deepEqual([back.of('rec1'), back.of('rec2')], [7, 7])
    assert.equal((await desk('r1')).lead, null, "r1's desk is empty")
    assert.equal((await desk('r2')).lead, null, "r2's desk is empty")
    const again = await ok(boss.post('/api/v1/deals/preview', { body: { batch_ids: [batch.rec1.id, batch.rec2.id] } }))
    assert.equal(again.total, 14, 'the recalled leads can be dealt again')
    // And once dealt again, they go to the new agent only.
    await deal('rec1', ['r2'])
    q = await agents()
    assert.deepEqual([q.r1.queue, q.r2.queue], [0, 7])
    assert.equal((await pool()).of('rec1'), 0)
  })
})
