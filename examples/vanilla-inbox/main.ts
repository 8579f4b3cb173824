import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox' // registers <courier-inbox>
import { createTokenManager, DEFAULT_REFRESH_MARGIN_MS } from 'courier-token-manager'
import { connectCourier } from 'courier-token-manager/courier'
import { demoCourier } from '../demo-courier'

// In development `npm run demo` is the backend, and its tokens live 20 s: a 5 s margin fits them.
const tokens = createTokenManager({
  url: '/api/generate-courier-jwt',
  features: ['inbox'],
  refreshMargin: import.meta.env.DEV ? 5_000 : DEFAULT_REFRESH_MARGIN_MS,
})

const status = document.getElementById('status')!
tokens.on('status', (value) => (status.textContent = `Token: ${value}`))
tokens.on('warning', (diagnoses) => {
  for (const diagnosis of diagnoses) console.warn(diagnosis.message)
})

// Signs Courier in with every fresh token; its 401s ask for a new one.
demoCourier().then(({ apiUrls }) => {
  connectCourier(tokens, { mode: 'seamless', inbox: CourierInboxDatastore.shared, ...(apiUrls && { apiUrls }) })
  tokens.start().catch((error) => (status.textContent = `Could not get a token: ${error.message}`))
})
