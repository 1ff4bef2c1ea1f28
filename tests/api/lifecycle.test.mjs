// Deleting and purging: the recycle bin over HTTP (delete by selection, batch,
// import date or everything; list masked; restore; clear for good), who may
// do what, bad input that changes nothing, the byte-level proof that a purge
// leaves no purged number in the database file or its WAL, `dialdeck purge`,
// and retention (定时自焚) run by the server's scheduler on a file clock.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  addDepartment, addUser, assertProblem, cli, cliOk, importLeads, setSettings, startServer, tempDir, useServer,
  writeLeadsCsv,
} from './helpers.mjs'

const files = tempDir('dialdeck-lifecycle-')
after(() => rmSync(files, { recursive: true, force: true }))

// The three forms of a number that must not survive a purge.
const forms = (national) => [`+86${national}`, national, `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`]

// The bytes of the database file and of its WAL (when there is one).
function dbBytes(db) {
  const parts = [readFileSync(db)]
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`))
  return Buffer.concat(parts)
}

// Which of the numbers' forms occur in the database's bytes.
function found(db, phones) {
  const bytes = dbBytes(db)
  return phones.flatMap((p) => forms(p)).filter((f) => bytes.includes(Buffer.from(f, 'utf8')))
}

// A new database with numbers stored as given (encryption at rest, when this
// build has it, would hide them, and the byte search below would prove
// nothing).
function plainDb(db) {
  const help = cli(['migrate', '--help'])
  cliOk(/--no-encryption/.test(help.stdout) ? ['migrate', '--no-encryption'] : ['migrate'], { db })
}

let nextNumber = 5000
function leadsFile(name, n) {
  const f = writeLeadsCsv(files, `${name}.csv`, n, { from: nextNumber })
  nextNumber += n
  return f
}

describe('recycle bin', () => {
  const batch = {} // name -> {id, phones}
  const srv = useServer({
    args: ['--scheduler-interval', '0'],
    setup: (db) => {
      plainDb(db)
      addDepartment(db, 'HQ', '总部')
      addDepartment(db, 'S1', '电销一部', 'HQ')
      addDepartment(db, 'S2', '电销二部', 'HQ')
      addUser(db, 'boss', 'admin', { department: 'HQ' })
      addUser(db, 'mgr', 'manager', { department: 'S1' })
      addUser(db, 'a1', 'agent', { department: 'S1' })
      addUser(db, 'a2', 'agent', { department: 'S2' })
      addUser(db, 'kefu', 'service', { department: 'HQ' })
      for (const [name, n] of [['bin', 6], ['scope', 4], ['bad', 3], ['bytes', 5], ['cli', 4], ['everything', 2]]) {
        const { file, phones } = leadsFile(name, n)
        const rep = importLeads(db, file, { name })
        assert.equal(rep.imported, n)
        batch[name] = { id: rep.batch_id, phones }
      }
    },
  })

  let admin, manager, agent, service
  before(async () => {
    await srv.ready
    admin = srv.client.as(await srv.client.login('boss'))
    manager = srv.client.as(await srv.client.login('mgr'))
    agent = srv.client.as(await srv.client.login('a1'))
    service = srv.client.as(await srv.client.login('kefu'))
  })

  const binItems = async (query = '') => {
    const r = await admin.get(`/api/v1/recycle-bin?page_size=200${query}`)
    assert.equal(r.status, 200, r.text)
    return r.body
  }
  const dealable = async (batchId) => {
    const r = await admin.post('/api/v1/deals/preview', { body: { batch_ids: [batchId] } })
    assert.equal(r.status, 200, r.text)
    return r.body.total
  }
  const counts = async (batchId) => {
    const r = await admin.get('/api/v1/leads/by-batch')
    assert.equal(r.status, 200, r.text)
    return r.body.items.find((i) => i.batch_id === batchId) || { leads: 0, deleted: 0 }
  }
  const auditOf = async (action) => {
    const r = await admin.get(`/api/v1/audit?action=${action}&limit=20`)
    assert.equal(r.status, 200, r.text)
    return r.body.items.filter((e) => e.action === action)
  }

  test('agents and customer service get 403 on every route; managers on the bin and retention', async () => {
    const routes = [
      ['post', '/api/v1/leads/delete', { batch_id: batch.bin.id }],
      ['get', '/api/v1/leads/by-batch'],
      ['get', '/api/v1/recycle-bin'],
      ['post', '/api/v1/recycle-bin/restore', { all: true }],
      ['post', '/api/v1/recycle-bin/purge', { all: true }],
      ['put', `/api/v1/batches/${batch.bin.id}/retention`, { retention_days: 1 }],
    ]
    for (const who of [agent, service]) {
      for (const [method, path, body] of routes) {
        assertProblem(await who[method](path, { body }), 403, 'forbidden')
      }
    }
    assertProblem(await agent.post('/api/v1/leads/delete', { body: { all: true, confirm: 'DELETE ALL' }, lang: 'en' }),
      403, 'forbidden', { lang: 'en' })
    for (const [method, path, body] of routes.slice(2)) {
      assertProblem(await manager[method](path, { body }), 403, 'forbidden')
    }
    assert.equal((await counts(batch.bin.id)).deleted, 0, 'nothing was deleted')
    assert.equal(await dealable(batch.bin.id), 6)
  })

  test('delete a batch: its leads leave dealing, wait in the bin masked, and come back on restore', async () => {
    const b = batch.bin
    const del = await admin.post('/api/v1/leads/delete', { body: { batch_id: b.id } })
    assert.equal(del.status, 200, del.text)
    assert.deepEqual(del.body, { deleted: 6, out_of_scope: 0 })
    assert.equal(await dealable(b.id), 0, 'deleted leads are not dealt')
    assert.deepEqual(await counts(b.id), { batch_id: b.id, leads: 6, deleted: 6 })

    const bin = await binItems(`&batch_id=${b.id}`)
    assert.equal(bin.total, 6)
    assert.equal(bin.items.length, 6)
    for (const it of bin.items) {
      assert.match(it.phone_masked, /^1\d\d\*{4}\d{4}$/)
      assert.equal(it.batch_id, b.id)
      assert.equal(it.batch_name, 'bin')
      assert.equal(it.deleted_by, 'boss')
      assert.equal(it.status_before_delete, 'new')
      assert.match(it.deleted_at, /^\d{4}-\d\d-\d\dT/)
    }
    const text = JSON.stringify(bin)
    for (const p of b.phones) assert.ok(!text.includes(p), `full number ${p} in the bin list`)
    const page = await admin.get(`/api/v1/recycle-bin?batch_id=${b.id}&page=2&page_size=4`)
    assert.equal(page.body.items.length, 2)
    assert.equal(page.body.total, 6)

    const [entry] = await auditOf('leads.delete')
    assert.equal(entry.target, `batch:${b.id}`)
    assert.equal(entry.detail.deleted, 6)
    assert.ok(!JSON.stringify(entry).includes(b.phones[0]), 'no number in the audit trail')

    // Restore two by id, then the rest.
    const ids = bin.items.map((i) => i.id)
    const two = await admin.post('/api/v1/recycle-bin/restore', { body: { lead_ids: ids.slice(0, 2) } })
    assert.equal(two.status, 200, two.text)
    assert.equal(two.body.restored, 2)
    assert.equal(await dealable(b.id), 2)
    const rest = await admin.post('/api/v1/recycle-bin/restore', { body: { all: true } })
    assert.equal(rest.body.restored, 4)
    assert.equal(await dealable(b.id), 6)
    assert.equal((await binItems()).total, 0)
    const restores = await auditOf('recycle_bin.restore')
    assert.deepEqual(restores.map((e) => e.detail.restored), [4, 2])

    // Delete a selection and clear it for good: the batch keeps the rest.
    const sel = await admin.post('/api/v1/leads/delete', { body: { lead_ids: ids.slice(0, 3) } })
    assert.deepEqual(sel.body, { deleted: 3, out_of_scope: 0 })
    const clear = await admin.post('/api/v1/recycle-bin/purge', { body: { lead_ids: ids.slice(0, 3) } })
    assert.equal(clear.status, 200, clear.text)
    assert.equal(clear.body.leads, 3)
    assert.equal(clear.body.batches, 0)
    assert.equal(clear.body.vacuumed, true)
    assert.deepEqual(await counts(b.id), { batch_id: b.id, leads: 3, deleted: 0 })
    assert.equal((await admin.get(`/api/v1/batches/${b.id}`)).status, 200)
    // Deleting and clearing the rest takes the batch with it.
    await admin.post('/api/v1/leads/delete', { body: { batch_ids: [b.id] } })
    const all = await admin.post('/api/v1/recycle-bin/purge', { body: { all: true } })
    assert.equal(all.body.leads, 3)
    assert.equal(all.body.batches, 1)
    assertProblem(await admin.get(`/api/v1/batches/${b.id}`), 404, 'not_found')
    const purges = await auditOf('recycle_bin.purge')
    assert.deepEqual(purges.map((e) => [e.detail.leads, e.detail.batches]), [[3, 1], [3, 0]])
  })

  test('managers delete the pool and their own team’s leads, never another team’s, never everything', async () => {
    const b = batch.scope
    // Two leads dealt to a1 (S1, the manager's team), two to a2 (S2).
    const users = (await admin.get('/api/v1/users')).body.items
    const id = (name) => users.find((u) => u.username === name).id
    const d = await admin.post('/api/v1/deals', { body: { batch_ids: [b.id], agent_ids: [id('a1'), id('a2')] } })
    assert.equal(d.status, 201, d.text)
    const r = await manager.post('/api/v1/leads/delete', { body: { batch_id: b.id } })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body, { deleted: 2, out_of_scope: 2 })
    assertProblem(await manager.post('/api/v1/leads/delete', { body: { all: true, confirm: 'DELETE ALL' } }),
      403, 'delete_all_admin_only')
    const bin = await binItems(`&batch_id=${b.id}`)
    assert.equal(bin.total, 2)
    assert.ok(bin.items.every((i) => i.deleted_by === 'mgr' && i.status_before_delete === 'assigned'))
    // Leads in the bin cannot be deleted again.
    const bad = await manager.post('/api/v1/leads/delete', { body: { lead_ids: bin.items.map((i) => i.id) } })
    assertProblem(bad, 404, 'leads_not_found')
    await admin.post('/api/v1/recycle-bin/restore', { body: { all: true } })
  })

  test('bad input gets a localized error and changes nothing', async () => {
    const b = batch.bad
    const bad = async (body, status, code) => {
      assertProblem(await admin.post('/api/v1/leads/delete', { body }), status, code)
      assertProblem(await admin.post('/api/v1/leads/delete', { body, lang: 'en' }), status, code, { lang: 'en' })
    }
    await bad('{"batch_id": ', 400, 'invalid_json')
    await bad('[1, 2]', 400, 'json_object_expected')
    await bad({}, 400, 'one_selector_required')
    await bad({ batch_id: b.id, lead_ids: [1] }, 400, 'one_selector_required')
    await bad({ all: false }, 400, 'one_selector_required')
    await bad({ lead_ids: [] }, 400, 'invalid_field')
    await bad({ lead_ids: ['1'] }, 400, 'invalid_field')
    await bad({ lead_ids: [-3] }, 400, 'invalid_field')
    await bad({ batch_id: 'x' }, 400, 'invalid_field')
    await bad({ created_from: '2026-02-30' }, 400, 'invalid_date')
    await bad({ created_to: 'yesterday' }, 400, 'invalid_date')
    await bad({ created_from: '2026-11-02', created_to: '2026-11-01' }, 400, 'invalid_date_range')
    await bad({ all: true }, 400, 'confirmation_required')
    await bad({ all: true, confirm: 'delete all' }, 400, 'confirmation_required')
    await bad({ batch_id: 987654 }, 404, 'not_found')
    const bin = await binItems()
    const known = (await admin.post('/api/v1/deals/preview', { body: { batch_ids: [b.id] } })).body.total
    assert.equal(known, 3)
    // An unknown id: nothing is deleted.
    await bad({ lead_ids: [999999] }, 404, 'leads_not_found')
    for (const [path, body, code] of [
      ['/api/v1/recycle-bin/restore', {}, 'bin_selector_required'],
      ['/api/v1/recycle-bin/purge', { all: true, lead_ids: [1] }, 'bin_selector_required'],
      ['/api/v1/recycle-bin/purge', { lead_ids: [999999] }, 'bin_leads_not_found'],
      ['/api/v1/recycle-bin/restore', { lead_ids: [999999] }, 'bin_leads_not_found'],
      ['/api/v1/recycle-bin/purge', 'nope', 'invalid_json'],
    ]) {
      const status = code === 'bin_leads_not_found' ? 404 : 400
      assertProblem(await admin.post(path, { body }), status, code)
      assertProblem(await admin.post(path, { body, lang: 'en' }), status, code, { lang: 'en' })
    }
    assertProblem(await admin.get('/api/v1/recycle-bin?page=abc'), 400, 'invalid_field')
    assertProblem(await admin.put(`/api/v1/batches/${b.id}/retention`, { body: { retention_days: -1 } }), 400, 'invalid_field')
    assertProblem(await admin.put(`/api/v1/batches/${b.id}/retention`, { body: {} }), 400, 'missing_field')
    assertProblem(await admin.put('/api/v1/batches/987654/retention', { body: { retention_days: 3 } }), 404, 'not_found')
    assert.equal((await binItems()).total, bin.total, 'the bin is unchanged')
    assert.equal(await dealable(b.id), 3, 'no lead was deleted')
  })

  test('delete by import date, and a batch’s retention can be changed', async () => {
    const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10) // China day
    const none = await admin.post('/api/v1/leads/delete', { body: { created_to: '2020-01-01' } })
    assert.deepEqual(none.body, { deleted: 0, out_of_scope: 0 })
    const r = await admin.post('/api/v1/leads/delete', { body: { created_from: today, created_to: today } })
    assert.equal(r.status, 200, r.text)
    assert.ok(r.body.deleted >= 3, JSON.stringify(r.body))
    assert.equal(await dealable(batch.bad.id), 0)
    await admin.post('/api/v1/recycle-bin/restore', { body: { all: true } })
    assert.equal(await dealable(batch.bad.id), 3)

    const set = await admin.put(`/api/v1/batches/${batch.bad.id}/retention`, { body: { retention_days: 30 } })
    assert.equal(set.status, 200, set.text)
    assert.equal(set.body.retention_days, 30)
    assert.match(set.body.purge_at, /^\d{4}-/)
    assert.equal((await admin.get(`/api/v1/batches/${batch.bad.id}`)).body.retention_days, 30)
    const keep = await admin.put(`/api/v1/batches/${batch.bad.id}/retention`, { body: { retention_days: null } })
    assert.equal(keep.body.retention_days, null)
    const [entry] = await auditOf('batch.retention')
    assert.deepEqual(entry.detail, { from: 30, to: null })
  })

  test('clearing for good leaves no purged number in the database file or its WAL', async () => {
    const b = batch.bytes
    // Control: the numbers are there before (so this test can fail).
    const before = found(srv.db, b.phones)
    for (const p of b.phones) assert.ok(before.includes(p), `${p} is in the database before the purge`)
    const del = await admin.post('/api/v1/leads/delete', { body: { batch_id: b.id } })
    assert.equal(del.body.deleted, 5)
    assert.ok(found(srv.db, b.phones).length > 0, 'still there while in the bin')
    const clear = await admin.post('/api/v1/recycle-bin/purge', { body: { all: true } })
    assert.equal(clear.status, 200, clear.text)
    assert.equal(clear.body.leads, 5)
    assert.equal(clear.body.vacuumed, true)
    assert.deepEqual(found(srv.db, b.phones), [], 'no form of a purged number is left')
    // The other batches' numbers are still there.
    assert.ok(found(srv.db, batch.everything.phones).length > 0)
  })

  test('`dialdeck purge` next to the running server leaves no purged number in the file either', async () => {
    const b = batch.cli
    assert.ok(found(srv.db, b.phones).includes(b.phones[0]), 'control: the number is there before')
    const r = cliOk(['purge', '--batch', String(b.id), '--yes', '--json'], { db: srv.db })
    assert.deepEqual(JSON.parse(r.stdout), { leads: 4, call_log: 0, batches: 1, import_rejects: 0 })
    assert.deepEqual(found(srv.db, b.phones), [])
    assertProblem(await admin.get(`/api/v1/batches/${b.id}`), 404, 'not_found')
    const [entry] = await auditOf('purge')
    assert.match(entry.actor, /^cli:/)
    assert.deepEqual(entry.detail.batch_ids, [b.id])
  })

  test('delete everything needs the typed confirmation (English or Chinese)', async () => {
    const r = await admin.post('/api/v1/leads/delete', { body: { all: true, confirm: '删除全部线索' } })
    assert.equal(r.status, 200, r.text)
    assert.ok(r.body.deleted >= 2 + 3 + 4, JSON.stringify(r.body))
    assert.equal(await dealable(batch.everything.id), 0)
    const [entry] = await auditOf('leads.delete')
    assert.equal(entry.detail.by, 'all')
    const again = await admin.post('/api/v1/leads/delete', { body: { all: true, confirm: 'DELETE ALL' } })
    assert.deepEqual(again.body, { deleted: 0, out_of_scope: 0 })
    const back = await admin.post('/api/v1/recycle-bin/restore', { body: { all: true } })
    assert.equal(back.body.restored, r.body.deleted)
    assert.equal(await dealable(batch.everything.id), 2)
  })
})

describe('dialdeck purge', () => {
  const dir = tempDir('dialdeck-purge-')
  const db = join(dir, 't.db')
  after(() => rmSync(dir, { recursive: true, force: true }))
  const b = {}
  before(() => {
    plainDb(db)
    for (const [name, n] of [['p1', 4], ['p2', 3], ['p3', 2]]) {
      const { file, phones } = leadsFile(name, n)
      b[name] = { id: importLeads(db, file, { name }).batch_id, phones }
    }
  })

  test('refuses without --yes, without exactly one scope, and with a bad date: nothing changes', () => {
    for (const args of [
      ['purge', '--batch', String(b.p1.id)],
      ['purge', '--all'],
      ['purge', '--yes'],
      ['purge', '--batch', String(b.p1.id), '--all', '--yes'],
      ['purge', '--before', '2026-13-01', '--yes'],
      ['purge', '--before', 'tomorrow', '--yes'],
      ['purge', '--batch', '999999', '--yes'],
      ['purge', '--batch', '0', '--yes'],
    ]) {
      const r = cli(args, { db })
      assert.notEqual(r.status, 0, `${args.join(' ')} exits non-zero`)
      assert.ok(r.stderr.trim().length > 0, `${args.join(' ')} explains on stderr`)
      assert.equal(r.stdout, '', `${args.join(' ')} prints no counts`)
    }
    assert.match(cli(['purge', '--all'], { db }).stderr, /--yes/)
    const none = join(dir, 'none.db')
    assert.notEqual(cli(['purge', '--all'], { db: none }).status, 0)
    assert.ok(!existsSync(none), 'a refused purge creates no database')
    for (const p of Object.values(b)) assert.deepEqual(found(db, p.phones).length >= p.phones.length, true)
  })

  test('--help lists the options', () => {
    const r = cli(['purge', '--help'])
    assert.equal(r.status, 0)
    for (const o of ['--batch', '--before', '--all', '--yes', '--json', '--db']) assert.match(r.stdout, new RegExp(o))
  })

  test('--batch ID --yes --json destroys the batch and prints the counts', () => {
    const r = cliOk(['purge', '--batch', String(b.p1.id), '--yes', '--json'], { db })
    const counts = JSON.parse(r.stdout.trim())
    assert.deepEqual(counts, { leads: 4, call_log: 0, batches: 1, import_rejects: 0 })
    assert.deepEqual(found(db, b.p1.phones), [])
    assert.equal(found(db, b.p2.phones).length >= 3, true, 'the other batches stay')
    const audit = cliOk(['audit', 'list', '--limit', '1'], { db }).stdout
    assert.match(audit, /\bpurge\b.*"leads":4/)
  })

  test('--before tomorrow and --all', () => {
    const tomorrow = new Date(Date.now() + 32 * 3600 * 1000).toISOString().slice(0, 10)
    const none = JSON.parse(cliOk(['purge', '--before', '2020-01-01', '--yes', '--json'], { db }).stdout)
    assert.equal(none.leads, 0)
    const r = JSON.parse(cliOk(['purge', '--before', tomorrow, '--yes', '--json'], { db }).stdout)
    assert.equal(r.leads, 5)
    assert.equal(r.batches, 2)
    assert.deepEqual(found(db, [...b.p2.phones, ...b.p3.phones]), [])
    const all = cliOk(['purge', '--all', '--yes'], { db })
    assert.match(all.stdout, /purged: 0 leads/)
    assert.equal(cli(['audit', 'verify'], { db }).status, 0, 'the audit chain is intact')
  })
})

describe('retention (定时自焚)', () => {
  const clockFile = join(files, 'now')
  const batch = {}
  const srv = useServer({
    args: ['--clock-file', clockFile, '--scheduler-interval', '1'],
    setup: (db) => {
      plainDb(db)
      addUser(db, 'boss', 'admin')
      addUser(db, 'r1', 'agent')
      setSettings(db, { calling_hours: '00:00-24:00' })
      for (const [name, n, days] of [['short', 4, 2], ['long', 3, 30], ['keep', 2, 0]]) {
        const { file, phones } = leadsFile(name, n)
        const rep = JSON.parse(cliOk(['import', file, '--json', '--batch-name', name, '--retention-days', String(days)],
          { db }).stdout)
        batch[name] = { id: rep.batch_id, phones }
      }
      cliOk(['deal', '--batch', String(batch.short.id)], { db })
    },
  })

  test('when a batch’s retention ends its leads are purged, except the agent’s prospects', async () => {
    await srv.ready
    const boss = srv.client.as(await srv.client.login('boss'))
    const created = Date.parse((await boss.get(`/api/v1/batches/${batch.short.id}`)).body.created_at) / 1000
    // The agent makes one lead a prospect and closes another.
    const r1 = srv.client.as(await srv.client.login('r1'))
    let desk = (await r1.get('/api/v1/desk')).body
    const prospect = desk.lead
    assert.ok(prospect, 'a lead is on the desk')
    desk = (await r1.post('/api/v1/desk/outcome', {
      body: { lead_id: prospect.id, outcome: 'interested', request_id: randomUUID() },
    })).body
    await r1.post('/api/v1/desk/outcome', { body: { lead_id: desk.lead.id, outcome: 'not_interested', request_id: randomUUID() } })

    // A day in: nothing happens. (Sessions follow the server's clock: log in again.)
    writeFileSync(clockFile, `${Math.floor(created) + 86400}\n`)
    await new Promise((ok) => setTimeout(ok, 2500))
    const before = await srv.client.as(await srv.client.login('boss')).get('/api/v1/leads/by-batch')
    assert.equal(before.body.items.find((i) => i.batch_id === batch.short.id).leads, 4)

    // Three days in: `short` (2 days) ends; `long` (30 days) and `keep` stay.
    writeFileSync(clockFile, `${Math.floor(created) + 3 * 86400}\n`)
    const admin = srv.client.as(await srv.client.login('boss'))
    let entry
    for (let i = 0; i < 100 && !entry; i++) {
      await new Promise((ok) => setTimeout(ok, 100))
      entry = (await admin.get('/api/v1/audit?action=retention.purge')).body.items?.[0]
    }
    assert.ok(entry, 'a retention.purge entry in the audit trail')
    // The entry commits with the purge; the purge's own vacuum follows it,
    // and the server logs event=retention_purge once that is done.
    for (let i = 0; i < 100 && !/event=retention_purge /.test(srv.log()); i++) {
      await new Promise((ok) => setTimeout(ok, 100))
    }
    assert.match(srv.log(), /event=retention_purge .*vacuumed=true/, `the purge vacuumed the file\n${srv.log().slice(-3000)}`)
    assert.equal(entry.actor, 'system')
    assert.equal(entry.detail.leads, 3)
    // The closed lead's call and the next one shown (without an outcome yet)
    // went with their leads; the prospect's stays.
    assert.equal(entry.detail.call_log, 2)
    assert.deepEqual(entry.detail.expired_batches.map((e) => [e.batch_id, e.leads, e.kept_prospects, e.batch_removed]),
      [[batch.short.id, 3, 1, false]])
    const items = (await admin.get('/api/v1/leads/by-batch')).body.items
    const of = (name) => items.find((i) => i.batch_id === batch[name].id)?.leads ?? 0
    assert.deepEqual([of('short'), of('long'), of('keep')], [1, 3, 2])
    const kept = prospect.phone.replace(/^\+86/, '')
    const gone = batch.short.phones.filter((p) => p !== kept)
    assert.deepEqual(found(srv.db, gone), [], 'purged numbers are gone from the file')
    assert.ok(found(srv.db, [kept]).includes(kept), 'the prospect stays')
    // The next runs find nothing more to purge and write no further entry.
    await new Promise((ok) => setTimeout(ok, 2500))
    assert.equal((await admin.get('/api/v1/audit?action=retention.purge')).body.items.length, 1)
  })
})
