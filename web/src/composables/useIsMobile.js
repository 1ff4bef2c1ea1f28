import { onBeforeUnmount, ref } from 'vue'

export const MOBILE_QUERY = '(max-width: 768px)'

/** true at phone width (≤ 768px), kept up to date. */
export function useIsMobile() {
  const mq = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(MOBILE_QUERY) : null
  const isMobile = ref(mq ? mq.matches : false)
  if (mq) {
    const onChange = (e) => (isMobile.value = e.matches)
    mq.addEventListener('change', onChange)
    onBeforeUnmount(() => mq.removeEventListener('change', onChange))
  }
  return isMobile
}
