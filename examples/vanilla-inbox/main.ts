import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox' // registers <courier-inbox>
import { createTokenManager } from 'courier-token-manager'
import { connectCourier } from 'courier-token-manager/courier'

const tokens = createTokenManager({ url: '/api/generate-courier-jwt', features: ['inbox'] })

// Signs Courier in with every fresh token; its 401s ask for a new one.
connectCourier(tokens, { mode: 'seamless', inbox: CourierInboxDatastore.shared })

const status = document.getElementById('status')!
tokens.on('status', (value) => (status.textContent = `Token: ${value}`))
tokens.on('warning', (diagnoses) => diagnoses.forEach((diagnosis) => console.warn(diagnosis.message)))

tokens.start().catch((error) => (status.textContent = `Could not get a token: ${error.message}`))
