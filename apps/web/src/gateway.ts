/** The gateway's public address, which the api writes into the page it serves (GATEWAY_URL). */
export function gatewayUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="portico-gateway-url"]');
  return (meta?.content || 'http://localhost:8080').replace(/\/+$/, '');
}
