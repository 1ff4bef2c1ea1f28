// 9. The tamper-evident audit trail: who did what from where, and a hash
// chain that `dialdeck audit verify` (and POST /api/v1/audit/verify) checks.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { HAS_SQLITE3, PASSWORD, addUser, assertProblem, cli, copyDb, sqlite, startServer, useServer } from './helpers.mjs'

const srv = useServer({
  setup: (db) => {
    addUser(db, 'boss', 'admin') // audit entry 1
    addUser(db, 'agent1', 'agent') // audit entry 2
  },
})

let session, admin
before(async () => {
  await srv.ready
  session = await srv.client.login('boss')
  admin = srv.client.as(session)
})

test('the audit list shows login, user.create, department.create and token.create with actor and ip', async () => {
  const dep = await admin.post('/api/v1/departments', { body: { code: 'AUD', name: '审计部' } })
  assert.equal(dep.status, 201)
  const user = await admin.post('/api/v1/users', { body: { username: 'audited', role: 'agent', password: PASSWORD } })
  assert.equal(user.status, 201)
  const tok = cli(['token', 'create', 'boss'], { db: srv.db })
  assert.equal(tok.status, 0, tok.stderr)

  const r = await admin.get('/api/v1/audit?limit=100')
  assert.equal(r.status, 200)
  const items = r.body.items
  const ids = items.map((e) => e.id)
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first')
  for (const e of items) assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/, 'ISO 8601 time')

  const find = (action, pred = () => true) => {
    const e = items.find((x) => x.action === action && pred(x))
    assert.ok(e, `audit has ${action}: ${JSON.stringify(items.map((x) => x.action))}`)
    return e
  }
  const login = find('login', (e) => e.actor === 'boss')
  assert.equal(login.ip, '127.0.0.1')
  assert.equal(login.actor_id, session.user.id)

  const created = find('user.create', (e) => e.detail?.username === 'audited')
  assert.equal(created.actor, 'boss')
  assert.equal(created.actor_id, session.user.id)
  assert.equal(created.ip, '127.0.0.1')
  assert.equal(created.target, `user:${user.body.id}`)
  assert.equal(created.detail.role, 'agent')

  const depEntry = find('department.create', (e) => e.detail?.code === 'AUD')
  assert.equal(depEntry.actor, 'boss')
  assert.equal(depEntry.ip, '127.0.0.1')
  assert.equal(depEntry.detail.name, '审计部')

  const tokEntry = find('token.create')
  assert.ok(tokEntry.actor, 'the CLI actor is named')
  assert.ok(tokEntry.ip, 'the CLI entry has an origin')
  assert.equal(tokEntry.detail.user, 'boss')
  assert.ok(!JSON.stringify(tokEntry).includes(tok.stdout.trim()), 'the token value is not audited')

  const cliUsers = items.filter((e) => e.action === 'user.create' && ['boss', 'agent1'].includes(e.detail?.username))
  assert.equal(cliUsers.length, 2, 'CLI-created users are audited too')

  // Filters and paging.
  const onlyLogins = await admin.get('/api/v1/audit?action=login')
  assert.ok(onlyLogins.body.items.length > 0)
  assert.ok(onlyLogins.body.items.every((e) => e.action.startsWith('login')))
  const page = await admin.get('/api/v1/audit?limit=2')
  assert.equal(page.body.items.length, 2)
  const next = await admin.get(`/api/v1/audit?limit=2&before_id=${page.body.items[1].id}`)
  assert.ok(next.body.items.every((e) => e.id < page.body.items[1].id))
})

test('POST /api/v1/audit/verify as admin: {ok:true}; `dialdeck audit verify` exits 0', async () => {
  assertProblem(await srv.client.request('POST', '/api/v1/audit/verify', { cookie: session.cookie }), 403, 'csrf_failed')
  const r = await admin.post('/api/v1/audit/verify')
  assert.equal(r.status, 200, r.text)
  assert.equal(r.body.ok, true)
  assert.ok(r.body.checked >= 6, `checked ${r.body.checked}`)
  assert.equal(r.body.first_broken_id, null)

  const v = cli(['audit', 'verify'], { db: srv.db })
  assert.equal(v.status, 0, v.stdout + v.stderr)
})

test('tampering with the audit table is detected', { skip: !HAS_SQLITE3 && 'sqlite3 CLI not installed', timeout: 30_000 },
  async () => {
    const stopped = await srv.stop()
    assert.equal(stopped.code, 0)
    const ok = cli(['audit', 'verify'], { db: srv.db })
    assert.equal(ok.status, 0, ok.stdout + ok.stderr)
    const last = Number(sqlite(srv.db, 'SELECT MAX(id) FROM audit_log').trim())
    assert.ok(last >= 6, `enough entries (${last})`)

    const verify = (db) => {
      const r = cli(['audit', 'verify'], { db })
      assert.ok(r.status !== 0 && r.status !== null, `verify must fail (exit ${r.status} ${r.signal})`)
      return r.stdout + r.stderr
    }

    // An edited row.
    const edited = join(srv.dir, 'edited.db')
    copyDb(srv.db, edited)
    assert.notEqual(sqlite(edited, 'SELECT detail FROM audit_log WHERE id=2').trim(), '{}')
    sqlite(edited, "UPDATE audit_log SET detail='{}' WHERE id=2")
    assert.match(verify(edited), /\bentry 2\b/, 'names the edited entry')

    // A deleted row in the middle.
    const middle = join(srv.dir, 'middle.db')
    copyDb(srv.db, middle)
    sqlite(middle, 'DELETE FROM audit_log WHERE id=3')
    assert.match(verify(middle), /\bentry 3\b/, 'names the missing entry')

    // The newest row deleted.
    const tail = join(srv.dir, 'tail.db')
    copyDb(srv.db, tail)
    sqlite(tail, `DELETE FROM audit_log WHERE id=${last}`)
    assert.match(verify(tail), new RegExp(`\\bentry ${last}\\b`), 'names the deleted last entry')

    // Every row deleted.
    const wiped = join(srv.dir, 'wiped.db')
    copyDb(srv.db, wiped)
    sqlite(wiped, 'DELETE FROM audit_log')
    verify(wiped)

    // The untouched original still verifies.
    assert.equal(cli(['audit', 'verify'], { db: srv.db }).status, 0)

    // A server on the edited copy reports the break over the API too, and new
    // entries do not hide it.
    const other = await startServer({ db: edited })
    try {
      const token = cli(['token', 'create', 'boss'], { db: edited }).stdout.trim()
      const r = await other.client.request('POST', '/api/v1/audit/verify', { bearer: token })
      assert.equal(r.status, 200, r.text)
      assert.equal(r.body.ok, false)
      assert.equal(r.body.first_broken_id, 2)
    } finally {
      const { code } = await other.stop()
      assert.equal(code, 0)
    }
  })
