import { createRouter, createWebHistory } from 'vue-router'
import { useAuthStore } from './stores/auth'
import { canOpen, homePathForRole } from './menu'

import MainLayout from './layouts/MainLayout.vue'
import LoginView from './views/LoginView.vue'

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
  {
    path: '/',
    component: MainLayout,
    children: [
      { path: '', name: 'root', component: () => import('./views/HomeView.vue') },
      { path: 'home', name: 'home', component: () => import('./views/HomeView.vue') },
      { path: 'desk', name: 'desk', component: () => import('./views/DeskView.vue') },
      { path: 'users', name: 'users', component: () => import('./views/UsersView.vue') },
      { path: 'departments', name: 'departments', component: () => import('./views/DepartmentsView.vue') },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue') },
      { path: 'import', name: 'import', component: () => import('./views/ImportView.vue') },
      { path: 'batches', name: 'batches', component: () => import('./views/BatchesView.vue') },
      { path: 'batches/:id(\\d+)', name: 'batch', component: () => import('./views/BatchesView.vue') },
      { path: 'dnc', name: 'dnc', component: () => import('./views/DncView.vue') },
      { path: 'recycle-bin', name: 'recycleBin', component: () => import('./views/RecycleBinView.vue') },
      { path: 'agents', name: 'agents', component: () => import('./views/AgentsView.vue') },
      { path: 'deals', name: 'deals', component: () => import('./views/DealsView.vue') },
      { path: 'deals/:id(\\d+)', name: 'deal', component: () => import('./views/DealsView.vue') },
      { path: 'pool', name: 'pool', component: () => import('./views/PoolView.vue') },
      { path: 'settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
      { path: 'password', name: 'password', component: () => import('./views/PasswordView.vue') },
      { path: ':pathMatch(.*)*', name: 'notFound', component: () => import('./views/NotFoundView.vue') },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

/** Only same-site paths are accepted as a post-login target. */
export function safeRedirect(target) {
  return typeof target === 'string' && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\')
    ? target
    : null
}

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  if (!auth.initialized) await auth.init()

  if (to.meta.public) {
    if (to.name === 'login' && auth.user) {
      return auth.mustChangePassword ? { name: 'password' } : homePathForRole(auth.role)
    }
    return true
  }
  if (!auth.user) {
    const query = to.fullPath !== '/' ? { redirect: to.fullPath } : {}
    return { name: 'login', query }
  }
  if (auth.mustChangePassword && to.name !== 'password') return { name: 'password' }
  if (to.name === 'root') return homePathForRole(auth.role)
  if (!canOpen(to.name, auth.role)) return homePathForRole(auth.role)
  return true
})
