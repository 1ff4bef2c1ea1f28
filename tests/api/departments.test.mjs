// 5. Departments: the tree, cycles, deleting, and the CLI writing to a live server's database.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, addUser, assertProblem, cli, useServer } from './helpers.mjs'

const srv = useServer({ setup: (db) => addUser(db, 'boss', 'admin') })

let admin
const ids = {}
before(async () => {
  await srv.ready
  admin = srv.client.as(await srv.client.login('boss'))
})

async function create(code, name, parent) {
  const body = { code, name }
  if (parent !== undefined) body.parent_id = parent
  const r = await admin.post('/api/v1/departments', { body })
  assert.equal(r.status, 201, `${code}: ${r.text}`)
  ids[code] = r.body.id
  return r.body
}

test('create a tree: a department with a parent', async () => {
  const hq = await create('HQ', '总部')
  assert.equal(hq.code, 'HQ')
  assert.equal(hq.name, '总部')
  assert.equal(hq.parent_id, null)
  const sales = await create('SALES', '电销一部', hq.id)
  assert.equal(sales.parent_id, hq.id)
  const team = await create('TEAM-A', 'A 组', sales.id)
  assert.equal(team.parent_id, sales.id)

  const list = await admin.get('/api/v1/departments')
  assert.equal(list.status, 200)
  const byCode = Object.fromEntries(list.body.items.map((d) => [d.code, d]))
  assert.equal(byCode.SALES.parent_id, hq.id)
  assert.equal(byCode['TEAM-A'].parent_id, sales.id)
})

test('department creation errors: code taken 409, unknown parent 400, bad code 400', async () => {
  const dup = await admin.post('/api/v1/departments', { body: { code: 'HQ', name: '又一个总部' } })
  assertProblem(dup, 409, 'department_code_taken')
  assert.match(dup.body.detail, /HQ/)
  assertProblem(await admin.post('/api/v1/departments', { body: { code: 'ORPHAN', name: 'x', parent_id: 999999 } }),
    400, 'unknown_department')
  assertProblem(await admin.post('/api/v1/departments', { body: { code: 'has space', name: 'x' } }),
    400, 'invalid_department_code')
  assertProblem(await admin.post('/api/v1/departments', { body: { code: 'NONAME', name: '' } }), 400, 'invalid_field')
})

test('moving a department under itself or its descendant is refused: 400 department_cycle', async () => {
  const self = await admin.patch(`/api/v1/departments/${ids.HQ}`, { body: { parent_id: ids.HQ } })
  assertProblem(self, 400, 'department_cycle')
  const child = await admin.patch(`/api/v1/departments/${ids.HQ}`, { body: { parent_id: ids.SALES } })
  assertProblem(child, 400, 'department_cycle')
  const grandchild = await admin.patch(`/api/v1/departments/${ids.HQ}`, { body: { parent_id: ids['TEAM-A'] }, lang: 'en' })
  assertProblem(grandchild, 400, 'department_cycle', { lang: 'en' })

  const list = await admin.get('/api/v1/departments')
  const hq = list.body.items.find((d) => d.code === 'HQ')
  assert.equal(hq.parent_id, null, 'the refused moves changed nothing')

  // A legal move works, and back.
  await create('OTHER', '其他')
  const moved = await admin.patch(`/api/v1/departments/${ids['TEAM-A']}`, { body: { parent_id: ids.OTHER } })
  assert.equal(moved.status, 200, moved.text)
  assert.equal(moved.body.parent_id, ids.OTHER)
  const back = await admin.patch(`/api/v1/departments/${ids['TEAM-A']}`, { body: { parent_id: ids.SALES, name: 'A 组（新）' } })
  assert.equal(back.status, 200)
  assert.equal(back.body.parent_id, ids.SALES)
  assert.equal(back.body.name, 'A 组（新）')
})

test('deleting a department in use is refused (409 department_in_use); an empty one goes (204)', async () => {
  // HQ has sub-departments.
  assertProblem(await admin.delete(`/api/v1/departments/${ids.HQ}`), 409, 'department_in_use')
  // TEAM-A has a user.
  const u = await admin.post('/api/v1/users', {
    body: { username: 'teamer', role: 'agent', department_id: ids['TEAM-A'], password: PASSWORD },
  })
  assert.equal(u.status, 201, u.text)
  assertProblem(await admin.delete(`/api/v1/departments/${ids['TEAM-A']}`), 409, 'department_in_use')

  const gone = await admin.delete(`/api/v1/departments/${ids.OTHER}`)
  assert.equal(gone.status, 204, gone.text)
  const list = await admin.get('/api/v1/departments')
  const codes = list.body.items.map((d) => d.code)
  assert.ok(!codes.includes('OTHER'))
  assert.ok(codes.includes('HQ') && codes.includes('TEAM-A'))
  assertProblem(await admin.delete(`/api/v1/departments/${ids.OTHER}`), 404, 'not_found')
})

test('`dialdeck department add CODE --name NAME --parent CODE` while the server runs, then visible via the API', async () => {
  const r = cli(['department', 'add', 'CLI-1', '--name', '命令行部门', '--parent', 'SALES'], { db: srv.db })
  assert.equal(r.status, 0, r.stderr)
  const printed = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.equal(printed.code, 'CLI-1')
  assert.equal(printed.parent_id, ids.SALES)

  const list = await admin.get('/api/v1/departments')
  const dep = list.body.items.find((d) => d.code === 'CLI-1')
  assert.ok(dep, 'the CLI-created department is listed')
  assert.equal(dep.name, '命令行部门')
  assert.equal(dep.parent_id, ids.SALES)

  const bad = cli(['department', 'add', 'CLI-2', '--name', 'x', '--parent', 'NO-SUCH'], { db: srv.db })
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /department/i)
  const after = await admin.get('/api/v1/departments')
  assert.ok(!after.body.items.some((d) => d.code === 'CLI-2'))
})
