// Which pages each role may open, and the side menu it sees.
// One source for the router guard and the menu (see tests/menu.test.js).

export const ROLES = ['admin', 'manager', 'agent', 'service']

// route name -> roles allowed (absent = every logged-in user)
export const ROUTE_ROLES = {
  home: ['admin', 'manager', 'service'],
  desk: ['agent'],
  users: ['admin'],
  departments: ['admin', 'manager'],
  audit: ['admin'],
  import: ['admin', 'manager'],
  batches: ['admin', 'manager'],
  batch: ['admin', 'manager'],
  dnc: ['admin', 'manager'],
  recycleBin: ['admin'],
  agents: ['admin', 'manager'],
  deals: ['admin', 'manager'],
  deal: ['admin', 'manager'],
  pool: ['admin', 'manager'],
  settings: ['admin'],
}

const ITEMS = {
  home: { key: 'home', path: '/home', label: 'menu.home', icon: 'HomeFilled' },
  desk: { key: 'desk', path: '/desk', label: 'menu.desk', icon: 'Headset' },
  users: { key: 'users', path: '/users', label: 'menu.users', icon: 'User' },
  departments: { key: 'departments', path: '/departments', label: 'menu.departments', icon: 'OfficeBuilding' },
  departmentsReadonly: {
    key: 'departments',
    path: '/departments',
    label: 'menu.departmentsReadonly',
    icon: 'OfficeBuilding',
  },
  audit: { key: 'audit', path: '/audit', label: 'menu.audit', icon: 'Tickets' },
  import: { key: 'import', path: '/import', label: 'menu.import', icon: 'Upload' },
  batches: { key: 'batches', path: '/batches', label: 'menu.batches', icon: 'Files' },
  dnc: { key: 'dnc', path: '/dnc', label: 'menu.dnc', icon: 'MuteNotification' },
  recycleBin: { key: 'recycleBin', path: '/recycle-bin', label: 'menu.recycleBin', icon: 'Delete' },
  deals: { key: 'deals', path: '/deals', label: 'menu.deals', icon: 'Share' },
  pool: { key: 'pool', path: '/pool', label: 'menu.pool', icon: 'Coin' },
  agents: { key: 'agents', path: '/agents', label: 'menu.agents', icon: 'Avatar' },
  settings: { key: 'settings', path: '/settings', label: 'menu.settings', icon: 'Setting' },
  password: { key: 'password', path: '/password', label: 'menu.password', icon: 'Lock' },
}

const MENUS = {
  admin: ['home', 'import', 'batches', 'recycleBin', 'dnc', 'deals', 'pool', 'agents', 'users', 'departments', 'audit', 'settings', 'password'],
  manager: ['home', 'import', 'batches', 'dnc', 'deals', 'pool', 'agents', 'departmentsReadonly', 'password'],
  agent: ['desk', 'password'],
  service: ['home', 'password'],
}

/** The side menu for a role: [{ key, path, label (i18n key), icon, test }] */
export function menuForRole(role) {
  return (MENUS[role] || ['password']).map((id) => ({ ...ITEMS[id], test: `menu-${ITEMS[id].key}` }))
}

/** Where a role lands after login. */
export function homePathForRole(role) {
  return role === 'agent' ? '/desk' : '/home'
}

export function canOpen(routeName, role) {
  const allowed = ROUTE_ROLES[routeName]
  return !allowed || allowed.includes(role)
}
