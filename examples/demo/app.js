import { createTokenManager } from '/dist/index.js'

const $ = (id) => document.getElementById(id)
const MODES = {
  ok: 'Healthy',
  fail: '503 errors',
  hang: 'Hang',
  unauthorized: '401 (signed out)',
  'no-scopes': 'No inbox scopes',
  html: 'HTML page',
}

const manager = createTokenManager({
  url: '/api/generate-courier-jwt',
  refreshMargin: 5_000,
  features: ['inbox'],
  userId: 'demo-user',
})

// Everything the page saw, for people and for the end-to-end test.
const events = []
const time = () => new Date().toLocaleTimeString()
const log = (type, text, className = '') => {
  events.push({ type, text, at: Date.now() })
  const item = document.createElement('li')
  item.className = className
  item.textContent = `${time()}  ${type}${text ? `: ${text}` : ''}`
  $('timeline').prepend(item)
}

let tokens = 0
manager.on('refreshing', ({ reason }) => log('refreshing', reason))
manager.on('token', (info) => {
  $('count').textContent = String(++tokens)
  $('user').textContent = info.userId ?? '(none)'
  $('scopes').textContent = info.scopes.join(' ')
  log('token', `expires in ${Math.round((info.expiresAt - Date.now()) / 1000)} s`)
})
manager.on('error', ({ error, retryInMs }) =>
  log(
    'error',
    `${error.code}${error.status ? ` ${error.status}` : ''}: ${error.message} Retry in ${retryInMs === undefined ? '(when online)' : `${(retryInMs / 1000).toFixed(1)} s`}.`,
    'error',
  ),
)
manager.on('warning', (diagnoses) => {
  for (const d of diagnoses) log('warning', `${d.code}: ${d.message}`, 'warning')
})
manager.on('expired', () => log('expired', 'the token expired before a new one arrived', 'error'))
manager.on('unauthenticated', ({ error }) => {
  // Signed out: the token and what it said are gone.
  $('user').textContent = '–'
  $('scopes').textContent = '–'
  log('unauthenticated', error.message, 'error')
})
manager.on('status', (status) => {
  $('status').textContent = status
  $('status').dataset.status = status
})

const setMode = async (mode) => {
  await fetch(`/api/demo/mode?value=${mode}`, { method: 'POST' })
  for (const button of $('modes').children) button.setAttribute('aria-pressed', String(button.dataset.mode === mode))
  log('backend', MODES[mode])
}
for (const [mode, label] of Object.entries(MODES)) {
  const button = document.createElement('button')
  button.dataset.mode = mode
  button.textContent = label
  button.setAttribute('aria-pressed', String(mode === 'ok'))
  button.onclick = () => setMode(mode)
  $('modes').append(button)
}
$('refresh').onclick = () => manager.refresh().catch(() => {})

setInterval(() => {
  const info = manager.current
  if (!info?.expiresAt) {
    $('countdown').textContent = '–'
    $('bar').style.width = '0%'
    return
  }
  const left = Math.max(0, info.expiresAt - Date.now())
  $('countdown').textContent = `${(left / 1000).toFixed(1)} s`
  $('bar').style.width = `${(100 * left) / (info.expiresAt - info.issuedAt)}%`
}, 250)

window.demo = { manager, events, setMode }

// Tokens from Courier (COURIER_API_KEY) or the local Courier: mount the real Inbox and Toast and keep them signed in.
const config = await (await fetch('/api/demo/config')).json()
if (config.courier) {
  const { CourierInboxDatastore } = await import('@trycourier/courier-ui-inbox')
  const { CourierToastDatastore } = await import('@trycourier/courier-ui-toast')
  const { connectCourier } = await import('/dist/courier.js')
  const apiUrls = config.apiUrls ? { apiUrls: config.apiUrls } : {}
  connectCourier(manager, { mode: 'seamless', inbox: CourierInboxDatastore.shared, toast: CourierToastDatastore.shared, ...apiUrls })
  $('source').textContent = config.local
    ? `Tokens come from a local Courier through this app's backend and live ${config.lifetime}; the real Inbox below keeps working across every refresh. Send yourself a message.`
    : "Tokens come from Courier through this app's backend; the Inbox below stays signed in across refreshes."
  $('inbox-card').hidden = false
  if (config.local) {
    $('send').hidden = false
    $('send').onclick = async () => {
      const message = await (await fetch('/api/demo/send', { method: 'POST' })).json()
      log('sent', message.title ?? message.message)
    }
  }
  if (config.local) {
    // The same Inbox with a token fetched once, as an app without a manager does.
    $('naive-card').hidden = false
    $('naive').src = '/naive.html'
  }
  // Opening a message marks it read, as most apps do.
  document.querySelector('courier-inbox').onMessageClick(({ message }) => CourierInboxDatastore.shared.readMessage({ message }))
}
manager.start().catch(() => {})
