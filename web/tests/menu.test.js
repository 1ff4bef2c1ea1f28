import { describe, expect, it } from 'vitest'
import { menuForRole, homePathForRole, canOpen } from '../src/menu'

const keys = (role) => menuForRole(role).map((m) => m.key)

describe('menuForRole', () => {
  it('admin: home, import, batches, recycle bin, dnc, deals, pool, agents, users, departments, audit, settings, password', () => {
    expect(keys('admin')).toEqual([
      'home',
      'import',
      'batches',
      'recycleBin',
      'dnc',
      'deals',
      'pool',
      'agents',
      'users',
      'departments',
      'audit',
      'settings',
      'password',
    ])
    expect(menuForRole('admin').find((m) => m.key === 'departments').label).toBe('menu.departments')
  })
  it('manager: home, import, batches, dnc, deals, pool, agents, read-only departments, password', () => {
    expect(keys('manager')).toEqual(['home', 'import', 'batches', 'dnc', 'deals', 'pool', 'agents', 'departments', 'password'])
    expect(menuForRole('manager').find((m) => m.key === 'departments').label).toBe('menu.departmentsReadonly')
  })
  it('agent: desk, password', () => {
    expect(keys('agent')).toEqual(['desk', 'password'])
  })
  it('service: home, password', () => {
    expect(keys('service')).toEqual(['home', 'password'])
  })
  it('unknown role only gets the password page', () => {
    expect(keys('nobody')).toEqual(['password'])
    expect(keys(undefined)).toEqual(['password'])
  })
  it('gives every item a stable data-test id', () => {
    for (const role of ['admin', 'manager', 'agent', 'service']) {
      for (const m of menuForRole(role)) expect(m.test).toBe(`menu-${m.key}`)
    }
  })
  it('every menu entry is a page the role may open', () => {
    for (const role of ['admin', 'manager', 'agent', 'service']) {
      for (const m of menuForRole(role)) expect(canOpen(m.key, role), `${role} ${m.key}`).toBe(true)
    }
  })
  it('guards pages by role', () => {
    expect(canOpen('users', 'manager')).toBe(false)
    expect(canOpen('users', 'agent')).toBe(false)
    expect(canOpen('audit', 'manager')).toBe(false)
    expect(canOpen('desk', 'admin')).toBe(false)
    expect(canOpen('home', 'agent')).toBe(false)
    expect(canOpen('password', 'agent')).toBe(true)
    expect(canOpen('notFound', 'service')).toBe(true)
    for (const page of ['import', 'batches', 'batch', 'dnc']) {
      expect(canOpen(page, 'admin'), page).toBe(true)
      expect(canOpen(page, 'manager'), page).toBe(true)
      expect(canOpen(page, 'agent'), page).toBe(false)
      expect(canOpen(page, 'service'), page).toBe(false)
    }
  })
  it('dealing and agents for managers and admins, settings for admins only', () => {
    for (const page of ['agents', 'deals', 'deal']) {
      expect(canOpen(page, 'admin'), page).toBe(true)
      expect(canOpen(page, 'manager'), page).toBe(true)
      expect(canOpen(page, 'agent'), page).toBe(false)
      expect(canOpen(page, 'service'), page).toBe(false)
    }
    expect(canOpen('settings', 'admin')).toBe(true)
    for (const role of ['manager', 'agent', 'service']) expect(canOpen('settings', role), role).toBe(false)
    expect(canOpen('desk', 'agent')).toBe(true)
    expect(canOpen('desk', 'manager')).toBe(false)
  })
  it('the pool page for managers and admins, never agents', () => {
    expect(canOpen('pool', 'admin')).toBe(true)
    expect(canOpen('pool', 'manager')).toBe(true)
    expect(canOpen('pool', 'agent')).toBe(false)
    expect(canOpen('pool', 'service')).toBe(false)
  })
  it('the recycle bin for admins only', () => {
    expect(canOpen('recycleBin', 'admin')).toBe(true)
    for (const role of ['manager', 'agent', 'service']) expect(canOpen('recycleBin', role), role).toBe(false)
  })
  it('lands agents on the desk and everyone else on home', () => {
    expect(homePathForRole('agent')).toBe('/desk')
    expect(homePathForRole('admin')).toBe('/home')
    expect(homePathForRole('manager')).toBe('/home')
    expect(homePathForRole('service')).toBe('/home')
  })
})
