// 7. Brute-force protection: 10 failed logins lock the username (423 with
// Retry-After), even for the right password; other users are unaffected; the
// lock is in the audit trail. The server slows failed answers on purpose, so
// this file takes ~10 s.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, addUser, assertProblem, cli, useServer } from './helpers.mjs'

const srv = useServer({
  setup: (db) => {
    addUser(db, 'boss', 'admin')
    addUser(db, 'victim', 'agent')
  },
})

let admin
before(async () => {
  await srv.ready
  admin = srv.client.as(await srv.client.login('boss'))
})

const attempt = (username, password, lang) =>
  srv.client.request('POST', '/api/v1/session', { body: { username, password }, lang })

test('10 failed logins lock the account: even the right password gets 423 account_locked with Retry-After',
  { timeout: 60_000 }, async () => {
    const started = Date.now()
    for (let i = 1; i <= 10; i++) {
      const r = await attempt('victim', `wrong-${i}`)
      assertProblem(r, 401, 'invalid_credentials')
    }
    const slow = Date.now() - started
    assert.ok(slow >= 2000, `failed logins are slowed down (10 took ${slow} ms)`)

    const locked = await attempt('victim', PASSWORD)
    assertProblem(locked, 423, 'account_locked')
    assert.equal(locked.headers.get('set-cookie'), null, 'no session for a locked account')
    const retry = locked.headers.get('retry-after')
    assert.ok(retry, 'Retry-After header')
    assert.match(retry, /^\d+$/, 'Retry-After is delay-seconds')
    assert.ok(Number(retry) > 0 && Number(retry) <= 24 * 3600, `Retry-After ${retry}`)
    assert.match(locked.body.detail, /\d/, 'the detail says how long')

    const en = await attempt('victim', PASSWORD, 'en')
    assertProblem(en, 423, 'account_locked', { lang: 'en' })
    assert.match(en.body.detail, /locked/i)
  })

test('another user from the same address is unaffected by the lock', async () => {
  const s = await srv.client.login('boss')
  assert.equal(s.user.username, 'boss')
  const me = await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie })
  assert.equal(me.status, 200)
})

test('the lock is audited: login.failed and login.locked, via the API and `dialdeck audit list`', async () => {
  const api = await admin.get('/api/v1/audit?limit=100')
  assert.equal(api.status, 200)
  const locked = api.body.items.filter((e) => e.action === 'login.locked')
  assert.equal(locked.length, 1, `one login.locked entry: ${JSON.stringify(api.body.items.map((e) => e.action))}`)
  assert.match(locked[0].target, /victim/)
  assert.equal(locked[0].ip, '127.0.0.1')
  const failed = api.body.items.filter((e) => e.action === 'login.failed' && /victim/.test(e.target))
  assert.equal(failed.length, 10, 'each failure is audited')

  const filtered = await admin.get('/api/v1/audit?action=login.locked')
  assert.equal(filtered.body.items.length, 1)
  assert.ok(filtered.body.items.every((e) => e.action === 'login.locked'))

  const r = cli(['audit', 'list', '--limit', '100'], { db: srv.db })
  assert.equal(r.status, 0, r.stderr)
  const line = r.stdout.split('\n').find((l) => /\blogin\.locked\b/.test(l))
  assert.ok(line, `dialdeck audit list shows login.locked:\n${r.stdout}`)
  assert.match(line, /victim/)
})
