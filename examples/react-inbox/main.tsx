import { Courier } from '@trycourier/courier-js'
import { CourierInbox } from '@trycourier/courier-react'
import { createTokenManager } from 'courier-token-manager'
import { useCourierSignIn } from 'courier-token-manager/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'

// One manager for the app, created outside React.
const tokens = createTokenManager({ url: '/api/generate-courier-jwt', features: ['inbox'] })
tokens.start().catch(() => {})

function App() {
  // Signs in when the token string changes, never on a re-render.
  const { status, error } = useCourierSignIn(tokens, { courier: Courier.shared })
  return (
    <main>
      <p>Token: {status}{error ? ` (${error.message})` : ''}</p>
      <CourierInbox />
    </main>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
