// Calls the public management API with the person's access token; a refusal carries the API's message.
import { API, current, refresh, signIn } from './auth.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: Record<string, unknown>) {
    super(message);
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const session = current();
    if (!session) return signIn(location.pathname + location.search);
    const response = await fetch(`${API}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (response.status === 401 && attempt === 0) {
      if (await refresh()) continue;
      return signIn(location.pathname + location.search);
    }
    if (!response.ok) {
      const message = typeof parsed.message === 'string' ? parsed.message : `The request failed (${response.status})`;
      throw new ApiError(response.status, message, parsed);
    }
    return parsed as T;
  }
  throw new ApiError(401, 'Sign in again', {});
}

export function orgPath(suffix = ''): string {
  return `/orgs/${encodeURIComponent(current()?.orgId ?? '')}${suffix}`;
}
