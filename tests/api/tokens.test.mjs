// 8. API tokens for scripts: created, listed and revoked with the CLI, used as
// `Authorization: Bearer ...` (no CSRF token needed, roles still apply).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addUser, assertProblem, cli, useServer } from './helpers.mjs'

const srv = useServer({
  setup: (db) => {
    addUser(db, 'boss', 'admin')
    addUser(db, 'agent1', 'agent')
  },
})

function createToken(name, extra = []) {
  const r = cli(['token', 'create', name, ...extra], { db: srv.db })
  assert.equal(r.status, 0, r.stderr)
  const token = r.stdout.trim()
  assert.match(token, /^\S{20,}$/, `stdout is just the token: ${JSON.stringify(r.stdout)}`)
  return token
}

function listTokens() {
  const r = cli(['token', 'list'], { db: srv.db })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

let bossToken

test('`dialdeck token create boss` prints a token; Bearer works on /me and /users', async () => {
  bossToken = createToken('boss')
  const me = await srv.client.request('GET', '/api/v1/me', { bearer: bossToken })
  assert.equal(me.status, 200, me.text)
  assert.equal(me.body.username, 'boss')
  assert.equal(me.body.role, 'admin')
  assert.equal(me.body.user.username, 'boss')
  const users = await srv.client.request('GET', '/api/v1/users', { bearer: bossToken })
  assert.equal(users.status, 200)
  assert.ok(users.body.items.some((u) => u.username === 'agent1'))
})

test('a Bearer token can POST without X-CSRF-Token', async () => {
  const r = await srv.client.request('POST', '/api/v1/departments', {
    bearer: bossToken, body: { code: 'TOKDEP', name: '脚本部门' },
  })
  assert.equal(r.status, 201, r.text)
  assert.equal(r.body.code, 'TOKDEP')
  const u = await srv.client.request('POST', '/api/v1/users', {
    bearer: bossToken, body: { username: 'scripted', role: 'agent', password: 'Scripted-pass-1' },
  })
  assert.equal(u.status, 201, u.text)
})

test('a bogus or malformed Bearer token: 401 unauthenticated', async () => {
  for (const bearer of ['ddt_bogusbogusbogusbogusbogusbogusbogusbogus', bossToken.slice(0, -1) + (bossToken.endsWith('A') ? 'B' : 'A'), 'x'.repeat(500)]) {
    assertProblem(await srv.client.request('GET', '/api/v1/me', { bearer }), 401, 'unauthenticated')
  }
  assertProblem(await srv.client.request('GET', '/api/v1/users', {
    headers: { Authorization: 'Basic Ym9zczpQYXNzdzByZC0xMjM=' },
  }), 401, 'unauthenticated')
})

test('`dialdeck token list` shows tokens without their values', async () => {
  const list = listTokens()
  const mine = list.find((t) => t.user === 'boss')
  assert.ok(mine, JSON.stringify(list))
  assert.equal(typeof mine.id, 'number')
  assert.equal(mine.revoked, false)
  const raw = cli(['token', 'list'], { db: srv.db }).stdout
  assert.ok(!raw.includes(bossToken), 'token list never prints the secret')
})

test('`dialdeck token revoke <id>`: the token stops working at once', async () => {
  const token = createToken('boss')
  assert.notEqual(token, bossToken, 'every token is new')
  assert.equal((await srv.client.request('GET', '/api/v1/me', { bearer: token })).status, 200)
  const entry = listTokens().at(-1)
  assert.equal(entry.user, 'boss')

  const r = cli(['token', 'revoke', String(entry.id)], { db: srv.db })
  assert.equal(r.status, 0, r.stderr)
  assertProblem(await srv.client.request('GET', '/api/v1/me', { bearer: token }), 401, 'unauthenticated')
  assert.equal(listTokens().find((t) => t.id === entry.id).revoked, true)
  // The other token is unaffected.
  assert.equal((await srv.client.request('GET', '/api/v1/me', { bearer: bossToken })).status, 200)

  const again = cli(['token', 'revoke', String(entry.id)], { db: srv.db })
  assert.notEqual(again.status, 0, 'revoking twice fails')
  const unknown = cli(['token', 'revoke', '999999'], { db: srv.db })
  assert.notEqual(unknown.status, 0, 'revoking an unknown id fails')
  assert.ok(unknown.stderr.trim().length > 0)
})

test("an agent's token keeps the agent's rights: 403 on /api/v1/users", async () => {
  const token = createToken('agent1')
  const me = await srv.client.request('GET', '/api/v1/me', { bearer: token })
  assert.equal(me.status, 200)
  assert.equal(me.body.username, 'agent1')
  assert.equal(me.body.role, 'agent')
  assertProblem(await srv.client.request('GET', '/api/v1/users', { bearer: token }), 403, 'forbidden')
  assertProblem(await srv.client.request('POST', '/api/v1/users', {
    bearer: token, body: { username: 'x1', role: 'admin', password: 'Passw0rd-123' },
  }), 403, 'forbidden')
  assertProblem(await srv.client.request('GET', '/api/v1/audit', { bearer: token }), 403, 'forbidden')
})

test("a disabled user's token stops working", async () => {
  const token = createToken('scripted')
  assert.equal((await srv.client.request('GET', '/api/v1/me', { bearer: token })).status, 200)
  const list = await srv.client.request('GET', '/api/v1/users', { bearer: bossToken })
  const id = list.body.items.find((u) => u.username === 'scripted').id
  const off = await srv.client.request('PATCH', `/api/v1/users/${id}`, { bearer: bossToken, body: { active: false } })
  assert.equal(off.status, 200, off.text)
  assertProblem(await srv.client.request('GET', '/api/v1/me', { bearer: token }), 401, 'unauthenticated')
})
