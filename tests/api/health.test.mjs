// 1. Health check and the security headers on API answers and on the web app.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addUser, assertProblem, assertSecurityHeaders, useServer } from './helpers.mjs'

const srv = useServer({ setup: (db) => addUser(db, 'boss', 'admin') })

test('GET /healthz answers 200 {"status":"ok"} as JSON', async () => {
  const r = await srv.client.request('GET', '/healthz')
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^application\/json/)
  assert.deepEqual(r.body, { status: 'ok' })
  assertSecurityHeaders(r.headers, 'on /healthz')
  assert.equal(r.headers.get('cache-control'), 'no-store')
})

test('API answers, including errors, carry the security headers and are not cached', async () => {
  const me = await srv.client.request('GET', '/api/v1/me')
  assertProblem(me, 401, 'unauthenticated')
  assertSecurityHeaders(me.headers, 'on a 401 problem')
  assert.equal(me.headers.get('cache-control'), 'no-store')

  const { cookie } = await srv.client.login('boss')
  const ok = await srv.client.request('GET', '/api/v1/users', { cookie })
  assert.equal(ok.status, 200)
  assertSecurityHeaders(ok.headers, 'on GET /api/v1/users')
  assert.equal(ok.headers.get('cache-control'), 'no-store')

  const missing = await srv.client.request('GET', '/api/v1/nope')
  assertSecurityHeaders(missing.headers, 'on a 404 problem')
})

test('the HTML page / carries the security headers', async () => {
  const r = await srv.client.request('GET', '/')
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^text\/html/)
  assert.match(r.text, /<html/i)
  assertSecurityHeaders(r.headers, 'on /')
})

test('a client-side route like /users serves the app with the security headers', async () => {
  const r = await srv.client.request('GET', '/users')
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^text\/html/)
  assert.match(r.text, /<html/i)
  assertSecurityHeaders(r.headers, 'on /users')
})

test('a missing static file is a 404, not the app page', async () => {
  const r = await srv.client.request('GET', '/no-such-file.js')
  assert.equal(r.status, 404)
  assertSecurityHeaders(r.headers, 'on a missing file')
})

// HTTP requires HEAD wherever GET works (RFC 9110 §9.1); uptime monitors use it.
test('HEAD works where GET does: /healthz, / and /users answer 200 without a body', async () => {
  for (const path of ['/healthz', '/', '/users']) {
    const r = await fetch(srv.base + path, { method: 'HEAD' })
    assert.equal(r.status, 200, `HEAD ${path}`)
    assert.equal(await r.text(), '')
    assertSecurityHeaders(r.headers, `on HEAD ${path}`)
  }
})
