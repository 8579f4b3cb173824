import { Courier } from '@trycourier/courier-js'
import { CourierInbox } from '@trycourier/courier-react'
import { createTokenManager, DEFAULT_REFRESH_MARGIN_MS } from 'courier-token-manager'
import type { CourierApiUrls } from 'courier-token-manager/courier'
import { useCourierSignIn } from 'courier-token-manager/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { demoCourier } from '../demo-courier'

// One manager for the app, created outside React. In development `npm run demo` is the backend, and
// its tokens live 20 s: a 5 s margin fits them.
const tokens = createTokenManager({
  url: '/api/generate-courier-jwt',
  features: ['inbox'],
  refreshMargin: import.meta.env.DEV ? 5_000 : DEFAULT_REFRESH_MARGIN_MS,
})
tokens.start().catch(() => {})

function App({ apiUrls }: { apiUrls?: CourierApiUrls | undefined }) {
  // Signs in when the token string changes, never on a re-render.
  const { status, error } = useCourierSignIn(tokens, { courier: Courier.shared, ...(apiUrls && { apiUrls }) })
  return (
    <main>
      <p>
        Token: {status}
        {error ? ` (${error.message})` : ''}
      </p>
      <CourierInbox />
    </main>
  )
}

demoCourier().then(({ apiUrls }) =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App apiUrls={apiUrls} />
    </StrictMode>,
  ),
)
