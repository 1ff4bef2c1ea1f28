// 6. Bad input: broken JSON, wrong shapes, huge bodies, unknown routes and
// methods, hostile strings. Never a 500; the users table keeps working.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, addUser, assertProblem, useServer } from './helpers.mjs'

const srv = useServer({ setup: (db) => addUser(db, 'boss', 'admin') })

let admin
before(async () => {
  await srv.ready
  admin = srv.client.as(await srv.client.login('boss'))
})

test('malformed JSON: 400 invalid_json (Chinese by default, English on request)', async () => {
  const c = srv.client
  assertProblem(await c.request('POST', '/api/v1/session', { body: '{"username": "boss", ' }), 400, 'invalid_json')
  assertProblem(await c.request('POST', '/api/v1/session', { body: '{"username": "boss", ', lang: 'en' }), 400,
    'invalid_json', { lang: 'en' })
  assertProblem(await c.request('POST', '/api/v1/session', { body: "{'username': 'boss'}" }), 400, 'invalid_json')
  assertProblem(await c.request('POST', '/api/v1/session', { body: '' }), 400, 'invalid_json')
  assertProblem(await admin.post('/api/v1/users', { body: '{"username":"x",}' }), 400, 'invalid_json')
  assertProblem(await admin.post('/api/v1/departments', { body: 'not json at all' }), 400, 'invalid_json')
})

test('a JSON body that is not an object: 400', async () => {
  for (const body of ['[]', '[{"username":"boss"}]', '"boss"', '42', 'null', 'true']) {
    const r = await srv.client.request('POST', '/api/v1/session', { body })
    assertProblem(r, 400, 'json_object_expected')
  }
  assertProblem(await admin.post('/api/v1/users', { body: '[]' }), 400, 'json_object_expected')
})

test('a missing field: 400 missing_field naming the field; a wrong type: 400 invalid_field', async () => {
  const noPw = await srv.client.request('POST', '/api/v1/session', { body: { username: 'boss' } })
  assertProblem(noPw, 400, 'missing_field')
  assert.match(noPw.body.detail, /password/)
  const noPwEn = await srv.client.request('POST', '/api/v1/session', { body: { username: 'boss' }, lang: 'en' })
  assertProblem(noPwEn, 400, 'missing_field', { lang: 'en' })
  assert.match(noPwEn.body.detail, /password/)

  const noRole = await admin.post('/api/v1/users', { body: { username: 'norole', password: PASSWORD } })
  assertProblem(noRole, 400, 'missing_field')
  assert.match(noRole.body.detail, /role/)
  assertProblem(await admin.post('/api/v1/departments', { body: { code: 'X1' } }), 400, 'missing_field')
  assertProblem(await admin.post('/api/v1/users', { body: { username: 'n', role: null, password: PASSWORD } }),
    400, 'missing_field')

  const wrongType = await srv.client.request('POST', '/api/v1/session', { body: { username: 123, password: PASSWORD } })
  assertProblem(wrongType, 400, 'invalid_field')
  assert.match(wrongType.body.detail, /username/)
  assertProblem(await admin.post('/api/v1/users', {
    body: { username: 'typed', role: 'agent', password: PASSWORD, department_id: '1' },
  }), 400, 'invalid_field')
  assertProblem(await admin.post('/api/v1/users', {
    body: { username: 'typed', role: 'agent', password: PASSWORD, must_change_password: 'yes' },
  }), 400, 'invalid_field')
  assertProblem(await admin.patch('/api/v1/users/1', { body: { active: 'false' } }), 400, 'invalid_field')
})

test('a 2 MiB body to /api/v1/users: 413', async () => {
  const big = JSON.stringify({ username: 'big', role: 'agent', password: PASSWORD, display_name: 'x'.repeat(2 << 20) })
  const r = await admin.post('/api/v1/users', { body: big })
  assert.equal(r.status, 413)
  assertProblem(r, 413, 'body_too_large')
  // The server still works afterwards.
  assert.equal((await admin.get('/api/v1/users')).status, 200)
})

test('an unknown API route: 404 problem+json route_not_found', async () => {
  assertProblem(await srv.client.request('GET', '/api/v1/nope'), 404, 'route_not_found')
  assertProblem(await srv.client.request('GET', '/api/v1/nope', { lang: 'en' }), 404, 'route_not_found', { lang: 'en' })
  assertProblem(await admin.get('/api/v1/users/1/nope'), 404, 'route_not_found')
  assertProblem(await srv.client.request('POST', '/api/v2/session', { body: {} }), 404, 'route_not_found')
})

test('a known route with the wrong method: 405 method_not_allowed', async () => {
  assertProblem(await srv.client.request('DELETE', '/api/v1/users'), 405, 'method_not_allowed')
  assertProblem(await srv.client.request('PUT', '/healthz'), 405, 'method_not_allowed')
  assertProblem(await srv.client.request('GET', '/api/v1/session'), 405, 'method_not_allowed')
  assertProblem(await srv.client.request('PUT', '/api/v1/departments/1', { lang: 'en' }), 405, 'method_not_allowed',
    { lang: 'en' })
})

test('a bad id in the path: 404, not 500', async () => {
  for (const id of ['abc', '-1', '0', '1.5', '99999999999999999999999', "1'%20OR%20'1'='1"]) {
    const r = await admin.patch(`/api/v1/users/${id}`, { body: { display_name: 'x' } })
    assertProblem(r, 404, 'not_found')
  }
})

const hostile = {
  sql: "'; DROP TABLE users;--",
  sql2: "Robert'); DROP TABLE departments; --",
  quotes: `"双引号" 'single' \\back\\slash`,
  html: '<script>alert(1)</script>',
  emoji: '销售🚀部 👩‍💻 ☎️',
  chinese: '电话销售一部（华东区）',
  rtl: 'abc\u202Edef',
  long64: '长'.repeat(64),
  long65: '长'.repeat(65),
  veryLong: 'x'.repeat(10_000),
  nul: 'a\u0000b',
  newline: 'line1\nline2',
  escape: '\u001b[31mred\u001b[0m',
  tab: 'tab\there',
  del: 'del\u007f',
  percent: '%s %n %x %00',
}

// A hostile value is either stored verbatim (2xx, returned and listed as-is)
// or refused with 400. Never 500.
function storedOrRefused(r, value, field, what) {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text}`)
  assert.ok(r.status === 201 || r.status === 200 || r.status === 400, `${what}: ${r.status} ${r.text}`)
  if (r.status === 400) {
    assert.match(r.headers.get('content-type'), /^application\/problem\+json/)
    return false
  }
  assert.equal(r.body[field], value, `${what} is returned verbatim`)
  return true
}

test('hostile department names are stored verbatim or refused with 400, never 500', async () => {
  const stored = {}
  let n = 0
  for (const [what, value] of Object.entries(hostile)) {
    const code = `H${++n}`
    const r = await admin.post('/api/v1/departments', { body: { code, name: value } })
    if (storedOrRefused(r, value, 'name', `department name ${what}`)) stored[code] = value
  }
  // Plain readable text must be accepted.
  for (const what of ['sql', 'sql2', 'quotes', 'html', 'emoji', 'chinese', 'long64']) {
    assert.ok(Object.values(stored).includes(hostile[what]), `department name ${what} should be accepted`)
  }
  // Control characters and over-long names must not be.
  for (const what of ['nul', 'newline', 'escape', 'long65', 'veryLong']) {
    assert.ok(!Object.values(stored).includes(hostile[what]), `department name ${what} should be refused`)
  }
  const list = await admin.get('/api/v1/departments')
  assert.equal(list.status, 200)
  for (const [code, value] of Object.entries(stored)) {
    const d = list.body.items.find((x) => x.code === code)
    assert.ok(d, `${code} listed`)
    assert.equal(d.name, value, `${code} listed verbatim`)
  }
})

test('hostile user names: display names verbatim or 400; SQL-ish usernames 400; never 500', async () => {
  let n = 0
  const stored = {}
  for (const [what, value] of Object.entries(hostile)) {
    const username = `hostile${++n}`
    const r = await admin.post('/api/v1/users', { body: { username, display_name: value, role: 'agent', password: PASSWORD } })
    if (storedOrRefused(r, value, 'display_name', `display_name ${what}`)) stored[username] = value
  }
  for (const what of ['sql', 'emoji', 'chinese', 'html']) {
    assert.ok(Object.values(stored).includes(hostile[what]), `display_name ${what} should be accepted`)
  }
  for (const value of [hostile.sql, hostile.sql2, hostile.veryLong, 'a\u0000b', '用户', 'a b', '']) {
    const r = await admin.post('/api/v1/users', { body: { username: value, role: 'agent', password: PASSWORD } })
    assert.ok(r.status < 500, `username ${JSON.stringify(value.slice(0, 30))}: ${r.status}`)
    assertProblem(r, 400, 'invalid_username')
  }
  // SQL-ish login attempts are just wrong credentials.
  for (const username of ["' OR '1'='1", "boss'--", 'boss"; --']) {
    const r = await srv.client.request('POST', '/api/v1/session', { body: { username, password: "' OR '1'='1" } })
    assertProblem(r, 401, 'invalid_credentials')
  }
  const list = await admin.get('/api/v1/users')
  assert.equal(list.status, 200)
  for (const [username, value] of Object.entries(stored)) {
    const u = list.body.items.find((x) => x.username === username)
    assert.ok(u, `${username} listed`)
    assert.equal(u.display_name, value, `${username} display_name listed verbatim`)
  }
  assert.ok(list.body.items.some((u) => u.username === 'boss'), 'the users table is intact')
})

test('broken encodings in the body (lone surrogate, invalid UTF-8): 400, never 500', async () => {
  const lone = await admin.post('/api/v1/departments', { body: '{"code":"SURR","name":"a\\ud800b"}' })
  assertProblem(lone, 400, 'invalid_json')
  const bytes = new Uint8Array([...Buffer.from('{"code":"BADUTF","name":"a'), 0xff, 0xfe, ...Buffer.from('b"}')])
  const bad = await admin.post('/api/v1/departments', { body: bytes })
  assert.equal(bad.status, 400, `invalid UTF-8: ${bad.text}`)
  assert.match(bad.headers.get('content-type'), /^application\/problem\+json/)
})

test('SQL-ish audit filters just match nothing', async () => {
  for (const q of ["action=' OR 1=1--", "actor=boss' OR '1'='1", 'limit=1;DROP TABLE audit_log', 'before_id=abc']) {
    const r = await admin.get(`/api/v1/audit?${encodeURI(q)}`)
    assert.equal(r.status, 200, `${q}: ${r.text}`)
    assert.ok(Array.isArray(r.body.items))
  }
  const r = await admin.get(`/api/v1/audit?action=${encodeURIComponent("' OR 1=1--")}`)
  assert.equal(r.body.items.length, 0)
  const v = await admin.post('/api/v1/audit/verify')
  assert.equal(v.body.ok, true, 'the audit chain survived')
})

test('an oversized header block is refused with 400/431, not a crash', async () => {
  const r = await srv.client.request('GET', '/api/v1/me', { headers: { 'X-Big': 'x'.repeat(20_000) } })
  assert.ok(r.status === 400 || r.status === 431, `got ${r.status} ${r.text}`)
  assert.equal((await srv.client.request('GET', '/healthz')).status, 200, 'the server still answers')
})

test('after all that, the users table still works: create, list, log in', async () => {
  const r = await admin.post('/api/v1/users', { body: { username: 'survivor', role: 'agent', password: PASSWORD } })
  assert.equal(r.status, 201, r.text)
  const list = await admin.get('/api/v1/users')
  assert.ok(list.body.items.some((u) => u.username === 'survivor'))
  await srv.client.login('survivor')
})
