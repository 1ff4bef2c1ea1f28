import { defineStore } from 'pinia'
import { api } from '../api'

// The session lives in an HttpOnly cookie; the CSRF token only in memory.
// After a reload both user and token come back from GET /me.
export const useAuthStore = defineStore('auth', {
  state: () => ({
    user: null,
    csrfToken: null,
    initialized: false,
  }),
  getters: {
    loggedIn: (s) => !!s.user,
    role: (s) => s.user?.role || null,
    mustChangePassword: (s) => !!s.user?.must_change_password,
  },
  actions: {
    setSession(data) {
      this.user = data?.user || null
      this.csrfToken = data?.csrf_token || null
    },
    clear() {
      this.user = null
      this.csrfToken = null
    },
    async init() {
      try {
        const data = await api.get('/me', { quiet: true, noRedirect: true })
        this.setSession(data)
      } catch {
        this.clear()
      } finally {
        this.initialized = true
      }
    },
    async refresh() {
      const data = await api.get('/me', { quiet: true, noRedirect: true })
      this.setSession(data)
    },
    async login(username, password) {
      const data = await api.post('/session', { username, password }, { noRedirect: true })
      this.setSession(data)
      this.initialized = true
      return this.user
    },
    async logout() {
      try {
        await api.del('/session', { quiet: true, noRedirect: true })
      } finally {
        this.clear()
      }
    },
    async changePassword(currentPassword, newPassword) {
      await api.put(
        '/me/password',
        { current_password: currentPassword, new_password: newPassword },
        { noRedirect: true },
      )
    },
  },
})
