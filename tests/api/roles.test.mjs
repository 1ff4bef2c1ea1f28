// 4. Roles: what agents, managers and admins may do; user administration.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, addDepartment, addUser, assertProblem, useServer } from './helpers.mjs'

const srv = useServer({
  setup: (db) => {
    addDepartment(db, 'HQ', '总部')
    addDepartment(db, 'SALES', '电销一部', 'HQ')
    addDepartment(db, 'OTHER', '电销二部', 'HQ')
    addUser(db, 'boss', 'admin', { department: 'HQ' })
    addUser(db, 'mgr', 'manager', { department: 'SALES' })
    addUser(db, 'agent1', 'agent', { department: 'SALES' })
  },
})

let admin, manager, agent
before(async () => {
  await srv.ready
  admin = srv.client.as(await srv.client.login('boss'))
  manager = srv.client.as(await srv.client.login('mgr'))
  agent = srv.client.as(await srv.client.login('agent1'))
})

test('an agent gets 403 forbidden on users, departments and audit', async () => {
  assertProblem(await agent.get('/api/v1/users'), 403, 'forbidden')
  assertProblem(await agent.get('/api/v1/users', { lang: 'en' }), 403, 'forbidden', { lang: 'en' })
  assertProblem(await agent.post('/api/v1/users', {
    body: { username: 'sneaky', role: 'admin', password: PASSWORD },
  }), 403, 'forbidden')
  assertProblem(await agent.get('/api/v1/departments'), 403, 'forbidden')
  assertProblem(await agent.post('/api/v1/departments', { body: { code: 'SNEAK', name: 'x' } }), 403, 'forbidden')
  assertProblem(await agent.get('/api/v1/audit'), 403, 'forbidden')
  assertProblem(await agent.post('/api/v1/audit/verify'), 403, 'forbidden')

  // ... but may see itself.
  const me = await agent.get('/api/v1/me')
  assert.equal(me.status, 200)
  assert.equal(me.body.role, 'agent')
  // ... and nothing was created.
  const users = await admin.get('/api/v1/users')
  assert.ok(!users.body.items.some((u) => u.username === 'sneaky'))
})

test('a manager may read departments (its own subtree) but not users', async () => {
  const deps = await manager.get('/api/v1/departments')
  assert.equal(deps.status, 200)
  const codes = deps.body.items.map((d) => d.code)
  assert.ok(codes.includes('SALES'), `manager sees its department: ${codes}`)
  assert.ok(!codes.includes('OTHER'), `manager does not see a sibling department: ${codes}`)
  assertProblem(await manager.get('/api/v1/users'), 403, 'forbidden')
  assertProblem(await manager.post('/api/v1/users', { body: { username: 'm2', role: 'agent', password: PASSWORD } }),
    403, 'forbidden')
  assertProblem(await manager.post('/api/v1/departments', { body: { code: 'M1', name: 'x' } }), 403, 'forbidden')
  assertProblem(await manager.get('/api/v1/audit'), 403, 'forbidden')
})

test('an admin creates a user: 201, then it is listed and can log in', async () => {
  const deps = await admin.get('/api/v1/departments')
  const sales = deps.body.items.find((d) => d.code === 'SALES')
  const r = await admin.post('/api/v1/users', {
    body: { username: 'newagent', display_name: '赵六', role: 'agent', department_id: sales.id, password: PASSWORD },
  })
  assert.equal(r.status, 201, r.text)
  assert.equal(r.body.username, 'newagent')
  assert.equal(r.body.display_name, '赵六')
  assert.equal(r.body.role, 'agent')
  assert.equal(r.body.department_id, sales.id)
  assert.equal(r.body.department_name, '电销一部')
  assert.equal(r.body.active, true)
  assert.equal(typeof r.body.id, 'number')
  assert.doesNotMatch(r.text, /password_hash|\$argon2/)

  const list = await admin.get('/api/v1/users')
  assert.ok(list.body.items.some((u) => u.id === r.body.id && u.username === 'newagent'))
  const s = await srv.client.login('newagent')
  assert.equal(s.user.role, 'agent')
})

test('user creation errors: username_taken 409, invalid_role 400, weak_password 400', async () => {
  const dup = await admin.post('/api/v1/users', { body: { username: 'agent1', role: 'agent', password: PASSWORD } })
  assertProblem(dup, 409, 'username_taken')
  assert.match(dup.body.detail, /agent1/, 'the detail names the username')
  const dupEn = await admin.post('/api/v1/users', {
    body: { username: 'agent1', role: 'agent', password: PASSWORD }, lang: 'en',
  })
  assertProblem(dupEn, 409, 'username_taken', { lang: 'en' })

  assertProblem(await admin.post('/api/v1/users', { body: { username: 'r1', role: 'superuser', password: PASSWORD } }),
    400, 'invalid_role')
  assertProblem(await admin.post('/api/v1/users', { body: { username: 'r2', role: 'ADMIN', password: PASSWORD } }),
    400, 'invalid_role')

  const weak = await admin.post('/api/v1/users', { body: { username: 'w1', role: 'agent', password: 'short' } })
  assertProblem(weak, 400, 'weak_password')
  assert.match(weak.body.detail, /8/, 'the detail tells the minimum length')

  assertProblem(await admin.post('/api/v1/users', {
    body: { username: 'd1', role: 'agent', password: PASSWORD, department_id: 999999 },
  }), 400, 'unknown_department')
  assertProblem(await admin.post('/api/v1/users', { body: { username: 'bad name!', role: 'agent', password: PASSWORD } }),
    400, 'invalid_username')

  const list = await admin.get('/api/v1/users')
  const names = list.body.items.map((u) => u.username)
  for (const n of ['r1', 'r2', 'w1', 'd1']) assert.ok(!names.includes(n), `${n} was not created`)
})

test('disabling a user ends its sessions and its logins answer 403 account_disabled', async () => {
  const created = await admin.post('/api/v1/users', { body: { username: 'leaver', role: 'agent', password: PASSWORD } })
  assert.equal(created.status, 201)
  const s = await srv.client.login('leaver')
  assert.equal((await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie })).status, 200)

  const patched = await admin.patch(`/api/v1/users/${created.body.id}`, { body: { active: false } })
  assert.equal(patched.status, 200, patched.text)
  assert.equal(patched.body.active, false)

  assertProblem(await srv.client.request('GET', '/api/v1/me', { cookie: s.cookie }), 401, 'unauthenticated')
  const login = await srv.client.request('POST', '/api/v1/session', { body: { username: 'leaver', password: PASSWORD } })
  assertProblem(login, 403, 'account_disabled')
  assert.equal(login.headers.get('set-cookie'), null)
  const loginEn = await srv.client.request('POST', '/api/v1/session', {
    body: { username: 'leaver', password: PASSWORD }, lang: 'en',
  })
  assertProblem(loginEn, 403, 'account_disabled', { lang: 'en' })

  // Enabling again lets the user log in.
  const back = await admin.patch(`/api/v1/users/${created.body.id}`, { body: { active: true } })
  assert.equal(back.status, 200)
  await srv.client.login('leaver')
})

test('a role change applies at once to the existing sessions of that user', async () => {
  const created = await admin.post('/api/v1/users', { body: { username: 'deputy', role: 'admin', password: PASSWORD } })
  assert.equal(created.status, 201)
  const deputy = srv.client.as(await srv.client.login('deputy'))
  assert.equal((await deputy.get('/api/v1/users')).status, 200)
  const demoted = await admin.patch(`/api/v1/users/${created.body.id}`, { body: { role: 'agent' } })
  assert.equal(demoted.status, 200, demoted.text)
  assert.equal(demoted.body.role, 'agent')
  assertProblem(await deputy.get('/api/v1/users'), 403, 'forbidden')
  assert.equal((await deputy.get('/api/v1/me')).body.role, 'agent')
})

test("an admin's password reset ends the user's sessions and forces a new password", async () => {
  const created = await admin.post('/api/v1/users', { body: { username: 'forgetful', role: 'manager', password: PASSWORD } })
  assert.equal(created.status, 201)
  const old = await srv.client.login('forgetful')
  const reset = await admin.patch(`/api/v1/users/${created.body.id}`, { body: { password: 'Temporary-pass-1' } })
  assert.equal(reset.status, 200, reset.text)
  assert.equal(reset.body.must_change_password, true)
  assert.doesNotMatch(reset.text, /Temporary-pass-1/)
  assertProblem(await srv.client.request('GET', '/api/v1/me', { cookie: old.cookie }), 401, 'unauthenticated')
  const fresh = await srv.client.login('forgetful', 'Temporary-pass-1')
  assert.equal(fresh.user.must_change_password, true)
  assertProblem(await srv.client.request('GET', '/api/v1/departments', { cookie: fresh.cookie }), 403,
    'password_change_required')
  assertProblem(await admin.patch(`/api/v1/users/${created.body.id}`, { body: { password: 'short' } }), 400, 'weak_password')
})

test('an admin cannot disable or demote itself (409 cannot_demote_self)', async () => {
  const me = await admin.get('/api/v1/me')
  assertProblem(await admin.patch(`/api/v1/users/${me.body.id}`, { body: { active: false } }), 409, 'cannot_demote_self')
  assertProblem(await admin.patch(`/api/v1/users/${me.body.id}`, { body: { role: 'agent' } }), 409, 'cannot_demote_self')
  assert.equal((await admin.get('/api/v1/users')).status, 200)
})

test('PATCH of a user that does not exist: 404', async () => {
  const r = await admin.patch('/api/v1/users/999999', { body: { display_name: 'x' } })
  assertProblem(r, 404, 'not_found')
})
