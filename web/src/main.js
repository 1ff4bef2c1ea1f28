import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { configureApi } from './api'
import { useAuthStore } from './stores/auth'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)
app.use(router)

const auth = useAuthStore(pinia)
configureApi({
  csrfToken: () => auth.csrfToken,
  onUnauthenticated: () => {
    // The session is gone (expired, logged out elsewhere): back to login.
    if (!auth.user) return
    auth.clear()
    const current = router.currentRoute.value
    if (current.name !== 'login') {
      router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
    }
  },
  onPasswordChangeRequired: () => {
    if (auth.user) auth.user.must_change_password = true
    if (router.currentRoute.value.name !== 'password') router.replace({ name: 'password' })
  },
})

app.mount('#app')
