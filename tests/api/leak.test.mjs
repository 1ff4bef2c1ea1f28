// Leak controls over HTTP on a file clock: the reveal budget locks the desk
// for an agent (a sliding hour; the outcome on screen is still recorded) and
// alerts the manager; implausibly fast outcomes raise an alert once per
// streak; alerts are scoped to the manager's departments and acknowledged;
// agents cannot export; exports are watermarked inside the xlsx, audited and
// capped; the masked desk and its daily unmask budget; the audit viewer's
// filters (who, what, target, time range, paging).
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync, rmSync } from 'node:fs'
import { addDepartment, addUsers, assertProblem, cli, cliOk, importLeads, setSettings, tempDir, useServer, writeLeadsCsv, testClock, unzipXlsx, sheetRows } from './helpers.mjs'

const files = tempDir('dialdeck-leak-')
// 2026-11-23 10:00 China time (UTC+8). The clock only moves forward.
const T0 = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000
const clock = testClock(files, T0)
const clockFile = clock.file
const setClock = clock.set
const advance = clock.advance
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z') // as the server writes it
after(() => rmSync(files, { recursive: true, force: true }))

const user = {} // username -> user JSON
const batch = {} // name -> {id, phones}

const srv = useServer({
  args: ['--clock-file', clockFile],
  setup: async (db) => {
    addDepartment(db, 'EAST', '东区')
    addDepartment(db, 'WEST', '西区')
    const specs = [
      { username: 'boss', role: 'admin' },
      { username: 'meast', role: 'manager', department: 'EAST' },
      { username: 'mwest', role: 'manager', department: 'WEST' },
      { username: 'e1', role: 'agent', department: 'EAST' },
      { username: 'e2', role: 'agent', department: 'EAST' },
      { username: 'e3', role: 'agent', department: 'EAST' },
      { username: 'w1', role: 'agent', department: 'WEST' },
    ]
    for (const u of await addUsers(db, specs)) user[u.username] = u
    setSettings(db, { calling_hours: '00:00-24:00', reveal_budget_per_hour: 3, fast_outcome_seconds: 5, fast_outcome_streak: 4 })
    let from = 5000
    const add = (name, n, agent, extra = {}) => {
      const { file, phones } = writeLeadsCsv(files, `${name}.csv`, n, { from, extra })
      from += n
      const rep = importLeads(db, file, { name })
      assert.equal(rep.imported, n, `batch ${name}`)
      batch[name] = { id: rep.batch_id, phones }
      cliOk(['deal', '--batch', String(rep.batch_id), '--agent', String(user[agent].id)], { db })
    }
    add('budget', 10, 'e1', { 楼盘: '万科城' })
    add('fast', 20, 'e2')
    add('mask', 6, 'e3', { 备用电话: '13912345678' })
    add('west', 5, 'w1')
  },
})

// Sessions expire on the server's (file) clock: log in again after hours.
const sessions = new Map()
async function as(name) {
  await srv.ready
  const s = sessions.get(name)
  if (s && clock.now - s.at < 3 * 3600) return s.api
  const api = srv.client.as(await srv.client.login(name))
  sessions.set(name, { api, at: clock.now })
  return api
}

async function setting(key, value) {
  const r = await (await as('boss')).put(`/api/v1/settings/${key}`, { body: { value: String(value) } })
  assert.equal(r.status, 200, r.text)
}

async function desk(name) {
  const r = await (await as(name)).get('/api/v1/desk')
  assert.equal(r.status, 200, r.text)
  return r.body
}

const unzip = (bytes) => unzipXlsx(bytes, files)

function outcome(api, leadId, what = 'not_interested', requestId = randomUUID()) {
  return api.post('/api/v1/desk/outcome', { body: { lead_id: leadId, outcome: what, note: '', request_id: requestId } })
}

async function audit(query) {
  const r = await (await as('boss')).get(`/api/v1/audit?limit=500&${query}`)
  assert.equal(r.status, 200, r.text)
  return r.body.items
}

async function alerts(name, query = '') {
  const r = await (await as(name)).get(`/api/v1/alerts?${query}`)
  assert.equal(r.status, 200, r.text)
  return r.body
}

// ------------------------------------------------------------------ reveal budget

describe('reveal budget', () => {
  const shownAt = []
  let lastRequest

  test('past the budget the desk locks; the outcome on screen is still recorded', async () => {
    const e1 = await as('e1')
    let lead = (await desk('e1')).lead
    shownAt.push(clock.now)
    for (let i = 0; i < 2; i++) {
      advance(30)
      const r = await outcome(e1, lead.id)
      assert.equal(r.status, 200, r.text)
      lead = r.body.lead
      assert.ok(lead, 'a next lead within the budget')
      shownAt.push(clock.now)
    }
    // the third lead is on screen: reloading shows it again, it is no new reveal
    advance(30)
    assert.equal((await desk('e1')).lead.id, lead.id)
    assert.equal((await desk('e1')).lead.id, lead.id)

    // its outcome is recorded, but no fourth lead is shown
    lastRequest = randomUUID()
    const r = await outcome(e1, lead.id, 'interested', lastRequest)
    assertProblem(r, 429, 'reveal_budget_exceeded')
    assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After')
    // the window frees a reveal when the first one is an hour old
    assert.equal(Number(r.headers.get('retry-after')), shownAt[0] + 3600 - clock.now)
    const rec = await audit(`action=lead.outcome&target=lead:${lead.id}`)
    assert.equal(rec.length, 1, 'the outcome was recorded')
    assert.equal(rec[0].detail.outcome, 'interested')

    // the desk stays locked, in the caller's language
    assertProblem(await e1.get('/api/v1/desk', { lang: 'en' }), 429, 'reveal_budget_exceeded', { lang: 'en' })
    // a retried post (same request_id) records nothing twice and is still locked
    assertProblem(await outcome(e1, lead.id, 'interested', lastRequest), 429, 'reveal_budget_exceeded')
    assert.equal((await audit(`action=lead.outcome&target=lead:${lead.id}`)).length, 1)
    assert.equal((await audit('action=lead.reveal&actor=e1')).length, 3, 'three reveals, no more')
  })

  test('the manager of the agent is alerted once; other managers are not', async () => {
    const east = await alerts('meast', 'open=1')
    const mine = east.items.filter((a) => a.agent_username === 'e1' && a.kind === 'reveal_budget')
    assert.equal(mine.length, 1, JSON.stringify(east))
    assert.equal(mine[0].detail.budget, 3)
    assert.equal(mine[0].acknowledged, false)
    assert.ok(east.open_count >= 1)
    assert.equal((await alerts('mwest')).items.filter((a) => a.agent_username === 'e1').length, 0, 'another department')
    assert.equal((await alerts('boss')).items.filter((a) => a.agent_username === 'e1').length, 1, 'admins see all')
    assertProblem(await (await as('e1')).get('/api/v1/alerts'), 403, 'forbidden')
    const raised = await audit('action=alert.raise&actor=e1')
    assert.equal(raised.length, 1)
    assert.equal(raised[0].detail.kind, 'reveal_budget')
  })

  test('the window slides: an hour after the first reveal one lead may be shown', async () => {
    setClock(shownAt[0] + 3599)
    assertProblem(await (await as('e1')).get('/api/v1/desk'), 429, 'reveal_budget_exceeded')
    setClock(shownAt[0] + 3600)
    const d = await desk('e1')
    assert.ok(d.lead, 'unlocked')
    advance(10)
    const r = await outcome(await as('e1'), d.lead.id)
    assertProblem(r, 429, 'reveal_budget_exceeded') // the next reveal would be the fourth within the hour
    // still one alert within the hour
    assert.equal((await alerts('meast', 'open=1&kind=reveal_budget')).items.filter((a) => a.agent_username === 'e1').length, 1)
  })

  test('managers acknowledge alerts of their agents; 0 turns the budget off', async () => {
    const [alert] = (await alerts('meast', 'open=1&kind=reveal_budget')).items
    assertProblem(await (await as('mwest')).post(`/api/v1/alerts/${alert.id}/ack`), 404, 'not_found')
    const r = await (await as('meast')).post(`/api/v1/alerts/${alert.id}/ack`)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.acknowledged, true)
    assert.equal(r.body.acknowledged_by, 'meast')
    assert.equal(r.body.acknowledged_at, iso(clock.now))
    assert.equal((await alerts('meast', 'open=1&kind=reveal_budget')).items.length, 0)
    assert.equal((await alerts('meast', 'kind=reveal_budget')).items.length, 1, 'kept, as handled')
    const again = await (await as('meast')).post(`/api/v1/alerts/${alert.id}/ack`)
    assert.equal(again.status, 200)
    assert.equal((await audit(`action=alert.ack&target=alert:${alert.id}`)).length, 1, 'audited once')

    await setting('reveal_budget_per_hour', 0)
    assert.ok((await desk('e1')).lead, 'no budget: the desk opens')
    await setting('reveal_budget_per_hour', 100)
  })
})

// ------------------------------------------------------------------ fast outcomes

test('outcomes recorded implausibly fast, 4 in a row, raise one alert per streak', async () => {
  const e2 = await as('e2')
  let lead = (await desk('e2')).lead
  const fastAlerts = async () => (await alerts('meast', 'kind=fast_outcomes')).items.filter((a) => a.agent_username === 'e2')
  const post = async () => {
    const r = await outcome(e2, lead.id, 'no_answer')
    assert.equal(r.status, 200, r.text)
    lead = r.body.lead
    assert.ok(lead)
  }
  for (let i = 0; i < 3; i++) await post() // 0 s each on the file clock
  assert.equal((await fastAlerts()).length, 0, 'three are not a streak of four')
  await post()
  let got = await fastAlerts()
  assert.equal(got.length, 1, 'the fourth fast outcome in a row')
  assert.equal(got[0].detail.streak, 4)
  assert.equal(got[0].detail.lead_ids.length, 4)
  await post()
  await post()
  assert.equal((await fastAlerts()).length, 1, 'once per streak')
  advance(6) // a slow outcome breaks the streak
  await post()
  for (let i = 0; i < 3; i++) await post()
  assert.equal((await fastAlerts()).length, 1)
  await post()
  got = await fastAlerts()
  assert.equal(got.length, 2, 'a new streak alerts again')
  // the bound: 5 s is not fast (breaks the streak), 4 s is
  advance(5)
  await post()
  for (let i = 0; i < 3; i++) await post()
  assert.equal((await fastAlerts()).length, 2)
  advance(4)
  await post()
  assert.equal((await fastAlerts()).length, 3, '4 s counts as fast')
})

// ------------------------------------------------------------------ exports

async function exportBatch(name, who, opts) {
  const res = await fetch(`${srv.base}/api/v1/batches/${batch[name].id}/export.xlsx`, {
    headers: { Cookie: (await login(who)).cookie, ...(opts?.lang ? { 'Accept-Language': opts.lang } : {}) },
  })
  return res
}
const logins = new Map()
async function login(name) {
  if (!logins.has(name) || clock.now - logins.get(name).at > 3 * 3600) logins.set(name, { s: await srv.client.login(name), at: clock.now })
  return logins.get(name).s
}

const exportDirs = () => readdirSync('/dev/shm').filter((n) => n.startsWith('dialdeck-export-'))

describe('exports', () => {
  test('agents cannot export anything', async () => {
    for (const a of ['e1', 'w1']) {
      assertProblem(await (await as(a)).get(`/api/v1/batches/${batch.budget.id}/export.xlsx`), 403, 'forbidden')
      assertProblem(await (await as(a)).get(`/api/v1/batches/${batch.budget.id}/rejects.xlsx`), 403, 'forbidden')
    }
  })

  test('an admin export carries a watermark inside the file and is audited', async () => {
    const before = exportDirs().length
    const res = await exportBatch('budget', 'boss')
    assert.equal(res.status, 200, await res.clone().text())
    assert.match(res.headers.get('content-type'), /spreadsheetml/)
    assert.match(res.headers.get('content-disposition'), /attachment; filename="batch-\d+-export\.xlsx"/)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const x = unzip(Buffer.from(await res.arrayBuffer()))
    const rows = sheetRows(x)
    // row 1: the watermark banner (who, when); row 2: the header; then one row per lead
    assert.match(rows[0][0], /boss/)
    assert.match(rows[0][0], /2026-11-23 \d\d:\d\d:\d\d \+08:00/)
    assert.match(rows[0][0], /budget/)
    assert.deepEqual(rows[1].slice(0, 3), ['线索ID', '姓名', '电话'])
    assert.ok(rows[1].includes('楼盘'), 'the file\'s extra columns')
    assert.equal(rows.length - 2, 10, 'ten leads')
    const phones = rows.slice(2).map((r) => r[2].replace(/\D/g, ''))
    assert.deepEqual(phones.sort(), [...batch.budget.phones].sort())
    // document properties and the printed footer name the exporter too
    assert.match(x.parts['docProps/core.xml'], /<dc:creator>boss<\/dc:creator>/)
    assert.match(x.parts['docProps/custom.xml'], /exported_by[\s\S]*boss/)
    assert.match(x.parts['xl/worksheets/sheet1.xml'], /<oddFooter>[^<]*boss[^<]*<\/oddFooter>/)
    // audited with the row count
    const [entry] = await audit(`action=lead.export&target=batch:${batch.budget.id}`)
    assert.equal(entry.actor, 'boss')
    assert.equal(entry.detail.rows, 10)
    assert.equal(entry.detail.truncated, false)
    assert.match(x.parts['docProps/custom.xml'], new RegExp(entry.detail.export_id), 'the file names its audit entry')
    assert.equal(exportDirs().length, before, 'nothing left in /dev/shm')
  })

  test('managers export only the leads of their departments', async () => {
    const east = await exportBatch('budget', 'meast')
    assert.equal(east.status, 200)
    assert.equal(east.headers.get('x-export-rows'), '10')
    const eastWest = await exportBatch('west', 'meast')
    assert.equal(eastWest.status, 200)
    assert.equal(eastWest.headers.get('x-export-rows'), '0', 'leads of another department')
    assert.equal(sheetRows(unzip(Buffer.from(await eastWest.arrayBuffer()))).length, 2, 'banner and header only')
    const west = await exportBatch('west', 'mwest')
    assert.equal(west.headers.get('x-export-rows'), '5')
    const x = unzip(Buffer.from(await west.arrayBuffer()))
    assert.match(sheetRows(x)[0][0], /mwest/)
    assertProblem(await (await as('meast')).get('/api/v1/batches/99999/export.xlsx'), 404, 'not_found')
  })

  test('exports are capped by export_max_rows; 0 turns them off', async () => {
    await setting('export_max_rows', 4)
    const res = await exportBatch('budget', 'boss', { lang: 'en' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-export-rows'), '4')
    assert.equal(res.headers.get('x-export-truncated'), 'true')
    const rows = sheetRows(unzip(Buffer.from(await res.arrayBuffer())))
    assert.equal(rows.length - 2, 4)
    assert.match(rows[0][0], /Exported by boss/)
    assert.deepEqual(rows[1].slice(0, 3), ['Lead ID', 'Name', 'Phone'])
    const entries = await audit(`action=lead.export&target=batch:${batch.budget.id}&actor=boss`)
    assert.equal(entries[0].detail.rows, 4)
    assert.equal(entries[0].detail.total, 10)
    assert.equal(entries[0].detail.truncated, true)

    await setting('export_max_rows', 0)
    assertProblem(await (await as('meast')).get(`/api/v1/batches/${batch.budget.id}/export.xlsx`), 403, 'export_disabled')
    assertProblem(
      await (await as('boss')).get(`/api/v1/batches/${batch.budget.id}/export.xlsx`, { lang: 'en' }),
      403,
      'export_disabled',
      { lang: 'en' },
    )
    await setting('export_max_rows', 10000)
  })
})

// ------------------------------------------------------------------ masked mode

describe('masked desk', () => {
  test('off: the desk answer keeps its contract fields; unmask is refused', async () => {
    const d = await desk('e3')
    assert.deepEqual(Object.keys(d).sort(), ['can_pull', 'lead', 'low_stock'])
    for (const k of ['id', 'name', 'phone', 'phone_display', 'region', 'carrier', 'attributes', 'history']) {
      assert.ok(k in d.lead, k)
    }
    assert.match(d.lead.phone, /^\+861\d{10}$/)
    assertProblem(await (await as('e3')).post('/api/v1/desk/unmask', { body: { lead_id: d.lead.id } }), 409, 'desk_not_masked')
  })

  test('on: the number is masked everywhere; unmasking is audited and counted per day', async () => {
    await setting('desk_masked', 1)
    await setting('unmask_budget_per_day', 2)
    const e3 = await as('e3')
    const r = await e3.get('/api/v1/desk')
    assert.equal(r.status, 200, r.text)
    const lead = r.body.lead
    assert.equal(r.body.masked, true)
    assert.equal(lead.masked, true)
    assert.equal(lead.phone, null)
    assert.match(lead.phone_display, /^1\d\d\*{4}\d{4}$/)
    const digits = batch.mask.phones.find((p) => p.endsWith(lead.phone_display.slice(-4)) && p.startsWith(lead.phone_display.slice(0, 3)))
    assert.ok(digits, 'the masked number is one of the batch')
    assert.ok(!r.text.includes(digits.slice(-8)), 'the number is nowhere in the answer')
    assert.equal(lead.attributes['备用电话'], '139****5678', 'a second number in the file is masked too')

    // unmask: the real number, audited; the same lead again costs nothing
    const u = await e3.post('/api/v1/desk/unmask', { body: { lead_id: lead.id } })
    assert.equal(u.status, 200, u.text)
    assert.equal(u.body.phone, `+86${digits}`)
    assert.equal(u.body.phone_display.replace(/\D/g, ''), digits)
    assert.equal(u.body.unmask_left, 1)
    const again = await e3.post('/api/v1/desk/unmask', { body: { lead_id: lead.id } })
    assert.equal(again.body.unmask_left, 1)
    assert.equal((await audit(`action=lead.unmask&target=lead:${lead.id}`)).length, 2)
    assertProblem(await e3.post('/api/v1/desk/unmask', { body: { lead_id: lead.id + 1000 } }), 409, 'not_current_lead')
    assertProblem(await (await as('meast')).post('/api/v1/desk/unmask', { body: { lead_id: lead.id } }), 403, 'forbidden')

    // a second lead: the last unmask of the day; a third: refused, and the manager is alerted
    advance(20)
    let next = (await outcome(e3, lead.id)).body.lead
    assert.equal(next.phone, null)
    assert.equal((await e3.post('/api/v1/desk/unmask', { body: { lead_id: next.id } })).body.unmask_left, 0)
    advance(20)
    next = (await outcome(e3, next.id)).body.lead
    assertProblem(await e3.post('/api/v1/desk/unmask', { body: { lead_id: next.id } }), 429, 'unmask_budget_exceeded')
    assertProblem(await e3.post('/api/v1/desk/unmask', { body: { lead_id: next.id }, lang: 'en' }), 429, 'unmask_budget_exceeded', { lang: 'en' })
    const a = (await alerts('meast', 'kind=unmask_budget')).items.filter((x) => x.agent_username === 'e3')
    assert.equal(a.length, 1, 'one alert a day')

    // the next China day brings a new budget
    setClock(Date.UTC(2026, 10, 24, 1, 0, 0) / 1000) // 09:00 China time
    const e3b = await as('e3')
    const cur = await desk('e3')
    assert.equal(cur.lead.id, next.id)
    const ok = await e3b.post('/api/v1/desk/unmask', { body: { lead_id: next.id } })
    assert.equal(ok.status, 200, ok.text)

    await setting('desk_masked', 0)
    assert.match((await desk('e3')).lead.phone, /^\+861\d{10}$/)
  })
})

// ------------------------------------------------------------------ audit viewer

describe('audit viewer filters', () => {
  test('who, what, target', async () => {
    const reveals = await audit('actor=e1&action=lead.reveal')
    assert.ok(reveals.length >= 4)
    assert.ok(reveals.every((e) => e.actor === 'e1' && e.action === 'lead.reveal'))
    const target = reveals[0].target
    const one = await audit(`target=${encodeURIComponent(target)}`)
    assert.ok(one.length >= 1 && one.every((e) => e.target === target))
    const alertsOnly = await audit('target=alert:')
    assert.ok(alertsOnly.length >= 4)
    assert.ok(alertsOnly.every((e) => e.target.startsWith('alert:')))
    assert.deepEqual(await audit('actor=nobody'), [])
  })

  test('a time range: ISO times, Unix seconds or China days', async () => {
    // the first day's entries end before 2026-11-24 00:00 China time
    const dayTwo = Date.UTC(2026, 10, 23, 16, 0, 0) / 1000
    const first = await audit(`from=2026-11-23&to=2026-11-23&actor=e3`)
    const second = await audit(`from=2026-11-24&actor=e3`)
    assert.ok(first.length > 0 && second.length > 0)
    assert.ok(first.every((e) => Date.parse(e.at) / 1000 < dayTwo))
    assert.ok(second.every((e) => Date.parse(e.at) / 1000 >= dayTwo))
    const iso1 = await audit(`from=${encodeURIComponent('2026-11-24T00:00:00+08:00')}&actor=e3`)
    assert.deepEqual(iso1.map((e) => e.id), second.map((e) => e.id))
    const secs = await audit(`to=${dayTwo}&actor=e3`)
    assert.deepEqual(secs.map((e) => e.id), first.map((e) => e.id))
    const window = await audit(`from=${T0 + 60}&to=${T0 + 61}`)
    assert.ok(window.length > 0)
    assert.ok(window.every((e) => e.at === iso(T0 + 60)))
    assertProblem(await (await as('boss')).get('/api/v1/audit?from=yesterday'), 400, 'invalid_field')
  })

  test('paging with next_before_id, and the chain still verifies', async () => {
    const api = await as('boss')
    const page = await api.get('/api/v1/audit?limit=3&action=lead.')
    assert.equal(page.body.items.length, 3)
    assert.equal(page.body.next_before_id, page.body.items[2].id)
    const next = await api.get(`/api/v1/audit?limit=3&action=lead.&before_id=${page.body.next_before_id}`)
    assert.ok(next.body.items.every((e) => e.id < page.body.items[2].id && e.action.startsWith('lead.')))
    const all = await api.get('/api/v1/audit?limit=500&actor=w1')
    assert.equal(all.body.next_before_id, null, 'the last page')
    const v = await api.post('/api/v1/audit/verify')
    assert.equal(v.status, 200)
    assert.equal(v.body.ok, true, JSON.stringify(v.body))
    assert.equal(cli(['audit', 'verify'], { db: srv.db }).status, 0)
  })
})
