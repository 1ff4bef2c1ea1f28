// 2. Session login/logout and 3. CSRF protection of cookie sessions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, addUser, assertProblem, useServer } from './helpers.mjs'

const srv = useServer({
  setup: (db) => {
    addUser(db, 'boss', 'admin')
    addUser(db, 'agent1', 'agent')
  },
})

test('login with the right password: 200, HttpOnly SameSite=Strict cookie, user and csrf_token', async () => {
  const r = await srv.client.request('POST', '/api/v1/session', {
    body: { username: 'boss', password: PASSWORD },
  })
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^application\/json/)
  const cookie = r.headers.get('set-cookie')
  assert.ok(cookie, 'Set-Cookie header')
  assert.match(cookie, /^dd_session=[^;\s]{16,};/, 'dd_session cookie with a long random value')
  assert.match(cookie, /;\s*HttpOnly/i)
  assert.match(cookie, /;\s*SameSite=Strict/i)
  assert.match(cookie, /;\s*Path=\//)
  assert.equal(r.body.user.username, 'boss')
  assert.equal(r.body.user.role, 'admin')
  assert.equal(typeof r.body.user.id, 'number')
  assert.equal(r.body.user.active, true)
  assert.equal(typeof r.body.csrf_token, 'string')
  assert.ok(r.body.csrf_token.length >= 16, 'csrf_token looks random')
  assert.ok(!cookie.includes(r.body.csrf_token), 'the CSRF token is not the session cookie')
  assert.doesNotMatch(r.text, /password_hash|\$argon2/i, 'no password hash in the answer')
})

test('wrong password: 401 invalid_credentials, Chinese by default, English on request, no cookie', async () => {
  const zh = await srv.client.request('POST', '/api/v1/session', {
    body: { username: 'agent1', password: 'wrong-password' },
  })
  assertProblem(zh, 401, 'invalid_credentials')
  assert.equal(zh.headers.get('set-cookie'), null)

  const en = await srv.client.request('POST', '/api/v1/session', {
    body: { username: 'agent1', password: 'wrong-password' },
    lang: 'en-US,en;q=0.9',
  })
  assertProblem(en, 401, 'invalid_credentials', { lang: 'en' })
  assert.match(en.body.detail, /username or password/i)
})

test('unknown username answers exactly like a wrong password (no user enumeration)', async () => {
  const r = await srv.client.request('POST', '/api/v1/session', {
    body: { username: 'nobody-here', password: 'wrong-password' },
  })
  assertProblem(r, 401, 'invalid_credentials')
})

test('GET /api/v1/me with the cookie returns the user, at top level and under "user"', async () => {
  const s = await srv.client.login('agent1')
  const r = await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie })
  assert.equal(r.status, 200)
  assert.equal(r.body.username, 'agent1')
  assert.equal(r.body.role, 'agent')
  assert.equal(r.body.user.username, 'agent1')
  assert.equal(r.body.user.role, 'agent')
  assert.equal(r.body.csrf_token, s.csrf, 'a reloaded page gets its CSRF token back')
})

test('GET /api/v1/me without a cookie, or with a forged one: 401 unauthenticated', async () => {
  assertProblem(await srv.client.request('GET', '/api/v1/me'), 401, 'unauthenticated')
  assertProblem(await srv.client.request('GET', '/api/v1/me', { lang: 'en' }), 401, 'unauthenticated', { lang: 'en' })
  const forged = await srv.client.request('GET', '/api/v1/me', { cookie: 'dd_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })
  assertProblem(forged, 401, 'unauthenticated')
})

test('DELETE /api/v1/session: needs CSRF, then 204 and the old cookie stops working', async () => {
  const s = await srv.client.login('agent1')
  const noCsrf = await srv.client.request('DELETE', '/api/v1/session', { cookie: s.cookie })
  assertProblem(noCsrf, 403, 'csrf_failed')
  assert.equal((await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie })).status, 200,
    'a refused logout leaves the session alive')

  const out = await srv.client.request('DELETE', '/api/v1/session', { cookie: s.cookie, csrf: s.csrf })
  assert.equal(out.status, 204)
  assert.equal(out.text, '')
  const cleared = out.headers.get('set-cookie') || ''
  assert.match(cleared, /^dd_session=;/, 'the cookie is cleared')
  assert.match(cleared, /Max-Age=0/)

  assertProblem(await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie }), 401, 'unauthenticated')
  assertProblem(await srv.client.request('DELETE', '/api/v1/session', { cookie: s.cookie, csrf: s.csrf }),
    401, 'unauthenticated')
})

test('logging out one session leaves the other sessions of the user alive', async () => {
  const a = await srv.client.login('agent1')
  const b = await srv.client.login('agent1')
  assert.notEqual(a.cookie, b.cookie)
  assert.notEqual(a.csrf, b.csrf)
  assert.equal((await srv.client.request('DELETE', '/api/v1/session', { cookie: a.cookie, csrf: a.csrf })).status, 204)
  assert.equal((await srv.client.request('GET', '/api/v1/me', { cookie: b.cookie })).status, 200)
  assert.equal((await srv.client.request('GET', '/api/v1/me', { cookie: a.cookie })).status, 401)
})

test('CSRF: a cookie session cannot POST without the right X-CSRF-Token', async () => {
  const s = await srv.client.login('boss')
  const body = { code: 'CSRF1', name: '防伪部' }

  const none = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, body })
  assertProblem(none, 403, 'csrf_failed')
  const enNone = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, body, lang: 'en' })
  assertProblem(enNone, 403, 'csrf_failed', { lang: 'en' })

  const wrong = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, csrf: 'x' + s.csrf.slice(1), body })
  assertProblem(wrong, 403, 'csrf_failed')
  const empty = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, headers: { 'X-CSRF-Token': '' }, body })
  assertProblem(empty, 403, 'csrf_failed')

  // Another session's token is not this session's token.
  const other = await srv.client.login('boss')
  const foreign = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, csrf: other.csrf, body })
  assertProblem(foreign, 403, 'csrf_failed')

  const list = await srv.client.request('GET', '/api/v1/departments', { cookie: s.cookie })
  assert.equal(list.status, 200)
  assert.ok(!list.body.items.some((d) => d.code === 'CSRF1'), 'refused requests created nothing')

  const ok = await srv.client.request('POST', '/api/v1/departments', { cookie: s.cookie, csrf: s.csrf, body })
  assert.equal(ok.status, 201)
  assert.equal(ok.body.code, 'CSRF1')
  assert.equal(ok.body.name, '防伪部')
})

test("changing one's password keeps this session and ends the user's other sessions", async () => {
  const here = await srv.client.login('agent1')
  const elsewhere = await srv.client.login('agent1')
  const next = 'Agent1-new-pass-9'
  const r = await srv.client.request('PUT', '/api/v1/me/password', {
    cookie: here.cookie, csrf: here.csrf, body: { current_password: PASSWORD, new_password: next },
  })
  assert.equal(r.status, 204, r.text)
  assert.equal((await srv.client.request('GET', '/api/v1/me', { cookie: here.cookie })).status, 200)
  assertProblem(await srv.client.request('GET', '/api/v1/me', { cookie: elsewhere.cookie }), 401, 'unauthenticated')
  assertProblem(await srv.client.request('POST', '/api/v1/session', { body: { username: 'agent1', password: PASSWORD } }),
    401, 'invalid_credentials')
  await srv.client.login('agent1', next)
})
