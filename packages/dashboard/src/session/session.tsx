import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { api, getSessionToken, setSessionToken, whenSessionExpires } from '../api/client';
import type { User } from '../api/types';

interface SessionState {
  status: 'loading' | 'signed-out' | 'signed-in';
  user: User | undefined;
  /** Set when the server ended the session, so that the sign-in page can say why. */
  expired: boolean;
  signIn(email: string, password: string): Promise<void>;
  signOut(): void;
  /** Super-admins act for one client (or read every client when null). */
  clientId: string | null;
  setClientId(id: string | null): void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

const CLIENT_KEY = 'optralis.client';

function storedClient(): string | null {
  try {
    return localStorage.getItem(CLIENT_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [token, setToken] = useState(getSessionToken);
  const [expired, setExpired] = useState(false);
  const [chosenClient, setChosenClient] = useState(storedClient);

  useEffect(() => {
    whenSessionExpires(() => {
      setToken(null);
      setExpired(true);
      queries.clear();
    });
  }, [queries]);

  const me = useQuery({
    queryKey: ['me', token],
    queryFn: () => api<{ user: User }>('/api/auth/me'),
    enabled: token !== null,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });

  const value = useMemo<SessionState>(() => {
    const user = token === null ? undefined : me.data?.user;
    const status = token === null || me.isError ? 'signed-out' : user ? 'signed-in' : 'loading';
    return {
      status,
      user,
      expired,
      async signIn(email, password) {
        const answer = await api<{ token: string; user: User }>('/api/auth/login', {
          method: 'POST',
          body: { email, password },
        });
        setSessionToken(answer.token);
        queries.setQueryData(['me', answer.token], { user: answer.user });
        setExpired(false);
        setToken(answer.token);
      },
      signOut() {
        setSessionToken(null);
        queries.clear();
        setToken(null);
      },
      clientId: user?.role === 'super_admin' ? chosenClient : null,
      setClientId(id) {
        try {
          if (id === null) localStorage.removeItem(CLIENT_KEY);
          else localStorage.setItem(CLIENT_KEY, id);
        } catch {
          // The choice then lasts for this page only.
        }
        setChosenClient(id);
      },
    };
  }, [token, me.data, me.isError, expired, chosenClient, queries]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/**
 * Which client the page acts for: null for a client's own users (the server knows their client)
 * and for a super-admin reading every client. `missing` is true when a super-admin must choose a
 * client before creating tokens or installers.
 */
export function useScope() {
  const { user, clientId } = useSession();
  const superAdmin = user?.role === 'super_admin';
  return { clientId, missing: superAdmin && clientId === null };
}

export function useRole() {
  const role = useSession().user?.role;
  return {
    superAdmin: role === 'super_admin',
    admin: role === 'super_admin' || role === 'client_admin',
  };
}
