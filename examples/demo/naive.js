// What an app without a token manager does: fetch a token once, sign Courier in, and hope. When the
// token expires, Courier drops the Inbox's socket and refuses the token: new messages stop arriving
// and a reload of the list fails with 401. The page beside it uses the manager and keeps working.
import { Courier } from '@trycourier/courier-js'
import '@trycourier/courier-ui-inbox' // registers <courier-inbox>
import { decodeToken } from '/dist/index.js'

const state = document.getElementById('state')
const config = await (await fetch('/api/demo/config')).json()
const { token } = await (await fetch('/api/generate-courier-jwt')).json()
// Only to read the user and the expiry: nothing here refreshes the token.
const { userId, expiresAt } = decodeToken(token)
Courier.shared.signIn({ userId, jwt: token, ...(config.apiUrls ? { apiUrls: config.apiUrls } : {}) })

const naive = { expiresAt, dead: false }
window.naive = naive
setInterval(() => {
  const left = Math.round((naive.expiresAt - Date.now()) / 1000)
  naive.dead = left <= 0
  state.className = naive.dead ? 'dead' : ''
  state.textContent = naive.dead
    ? `Token expired ${-left} s ago: this Inbox gets no new messages and cannot reload.`
    : `One token, never refreshed: it expires in ${left} s.`
}, 500)
