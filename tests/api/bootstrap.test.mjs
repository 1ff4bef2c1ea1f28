// First start on an empty database: a one-time admin password on stdout that
// must be changed before anything else works.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { assertProblem, startServer, tempDir } from './helpers.mjs'

const dir = tempDir()
const db = join(dir, 't.db')
let srv
after(async () => {
  try {
    if (srv && !srv.exit) {
      const { code } = await srv.stop()
      assert.equal(code, 0, srv.log())
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('first start creates admin with a one-time password that must be changed', async () => {
  srv = await startServer({ db })
  const m = /password:\s*(\S+)/.exec(srv.stdout)
  assert.ok(m, `the first start prints the admin password on stdout:\n${srv.log()}`)
  const oneTime = m[1]
  assert.ok(oneTime.length >= 12, 'the generated password is long')
  assert.match(srv.stdout, /username:\s*admin/)
  const c = srv.client

  const s = await c.login('admin', oneTime)
  assert.equal(s.user.username, 'admin')
  assert.equal(s.user.role, 'admin')
  assert.equal(s.user.must_change_password, true)

  // Everything but the self routes is refused until the password changes.
  assertProblem(await c.request('GET', '/api/v1/users', { cookie: s.cookie }), 403, 'password_change_required')
  assertProblem(await c.request('GET', '/api/v1/users', { cookie: s.cookie, lang: 'en' }), 403,
    'password_change_required', { lang: 'en' })
  assertProblem(await c.request('POST', '/api/v1/departments', {
    cookie: s.cookie, csrf: s.csrf, body: { code: 'X', name: 'X' },
  }), 403, 'password_change_required')
  const me = await c.request('GET', '/api/v1/me', { cookie: s.cookie })
  assert.equal(me.status, 200)
  assert.equal(me.body.must_change_password, true)

  const next = 'New-admin-pass-2024'
  const body = { current_password: oneTime, new_password: next }
  assertProblem(await c.request('PUT', '/api/v1/me/password', { cookie: s.cookie, body }), 403, 'csrf_failed')
  assertProblem(await c.request('PUT', '/api/v1/me/password', {
    cookie: s.cookie, csrf: s.csrf, body: { current_password: oneTime, new_password: 'short' },
  }), 400, 'weak_password')
  assertProblem(await c.request('PUT', '/api/v1/me/password', {
    cookie: s.cookie, csrf: s.csrf, body: { current_password: oneTime, new_password: oneTime },
  }), 400, 'password_unchanged')
  assertProblem(await c.request('PUT', '/api/v1/me/password', {
    cookie: s.cookie, csrf: s.csrf, body: { current_password: 'not-the-password', new_password: next },
  }), 400, 'wrong_current_password')
  assert.equal((await c.request('GET', '/api/v1/me', { cookie: s.cookie })).status, 200,
    'a mistyped current password does not end the session')

  const changed = await c.request('PUT', '/api/v1/me/password', { cookie: s.cookie, csrf: s.csrf, body })
  assert.equal(changed.status, 204, changed.text)

  // The same session now works.
  const users = await c.request('GET', '/api/v1/users', { cookie: s.cookie })
  assert.equal(users.status, 200, users.text)
  const admin = users.body.items.find((u) => u.username === 'admin')
  assert.ok(admin)
  assert.equal(admin.must_change_password, false)

  // The one-time password is spent; the new one works.
  assertProblem(await c.request('POST', '/api/v1/session', { body: { username: 'admin', password: oneTime } }),
    401, 'invalid_credentials')
  const again = await c.login('admin', next)
  assert.equal(again.user.must_change_password, false)
})

test('a restart on the same database creates no new admin and prints no password', async () => {
  const { code } = await srv.stop()
  assert.equal(code, 0)
  srv = await startServer({ db })
  assert.doesNotMatch(srv.stdout, /password:/)
  await srv.client.login('admin', 'New-admin-pass-2024')
})
