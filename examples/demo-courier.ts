// Which Courier the examples talk to. In development `npm run demo` is their backend: without
// COURIER_API_KEY it runs a local Courier and says where (`/api/demo/config`); with one, Courier's own
// endpoints (courier-js's defaults). A production build never asks: apiUrls stays courier-js's default.
import type { CourierApiUrls } from 'courier-token-manager/courier'

export async function demoCourier(): Promise<{ apiUrls?: CourierApiUrls | undefined }> {
  if (!import.meta.env.DEV) return {}
  try {
    const config = (await (await fetch('/api/demo/config')).json()) as { apiUrls: CourierApiUrls | null }
    return { apiUrls: config.apiUrls ?? undefined }
  } catch {
    return {} // no demo running: courier-js's defaults
  }
}
