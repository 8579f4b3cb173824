// What an app without a token manager does: fetch a token once, sign Courier in, and hope. When the
// token expires, Courier drops the Inbox's socket and refuses the token: new messages stop arriving
// and a reload of the list fails with 401. The page beside it uses the manager and keeps working.
import { Courier } from '@trycourier/courier-js'
import '@trycourier/courier-ui-inbox' // registers <courier-inbox>

const state = document.getElementById('state')
const config = await (await fetch('/api/demo/config')).json()
const { token } = await (await fetch('/api/generate-courier-jwt')).json()
const { exp, scope } = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
const userId = scope
  .split(' ')
  .find((s) => s.startsWith('user_id:'))
  .slice(8)
Courier.shared.signIn({ userId, jwt: token, ...(config.apiUrls ? { apiUrls: config.apiUrls } : {}) })

const naive = { expiresAt: exp * 1000, dead: false }
window.naive = naive
setInterval(() => {
  const left = Math.round((naive.expiresAt - Date.now()) / 1000)
  naive.dead = left <= 0
  state.className = naive.dead ? 'dead' : ''
  state.textContent = naive.dead
    ? `Token expired ${-left} s ago: this Inbox gets no new messages and cannot reload.`
    : `One token, never refreshed: it expires in ${left} s.`
}, 500)
