import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useScope } from '../session/session';
import { ApiError, api } from './client';
import type {
  ActiveWindowsTokenResponse,
  AgentRequirements,
  Architecture,
  AvailableDownload,
  Channel,
  Client,
  CreateClientResponse,
  CreatedInstallToken,
  InstallToken,
  LatestVersion,
  ListedAgentVersion,
  Machine,
  MetadataFileError,
  Platform,
  SettingsResponse,
  User,
  VersionPin,
} from './types';

/** Lists the dashboard keeps fresh on screen: machines report every few seconds. */
const LIVE_MS = 10_000;

export function useSettings() {
  return useQuery({
    queryKey: ['settings'],
    queryFn: () => api<SettingsResponse>('/api/settings'),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useMachines() {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['machines', clientId],
    queryFn: () =>
      api<{ machines: Machine[] }>('/api/machines', { query: { client_id: clientId } }),
    refetchInterval: LIVE_MS,
  });
}

export function useRevokeMachine() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/machines/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['machines'] }),
  });
}

export function useSetMachineChannel() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ id, channel }: { id: string; channel: Channel }) =>
      api<void>(`/api/machines/${encodeURIComponent(id)}/channel`, {
        method: 'PUT',
        body: { channel },
      }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['machines'] }),
  });
}

export function useClients(enabled = true) {
  return useQuery({
    queryKey: ['clients'],
    queryFn: () => api<{ clients: Client[] }>('/api/admin/clients'),
    enabled,
  });
}

export function useCreateClient() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; admin_email: string }) =>
      api<CreateClientResponse>('/api/admin/clients', { method: 'POST', body }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['clients'] }),
  });
}

/** The newest active, fully rolled-out release; null when none is published. */
export function useLatestVersion(channel: Channel, platform: Platform, architecture: Architecture) {
  return useQuery({
    queryKey: ['latest-version', channel, platform, architecture],
    queryFn: async () => {
      try {
        return await api<LatestVersion>('/api/agent/latest-version', {
          query: { channel, platform, architecture },
        });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'no_release') return null;
        throw error;
      }
    },
  });
}

export function useActiveTokens() {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['tokens', clientId],
    queryFn: () =>
      api<{ tokens: InstallToken[] }>('/api/install-tokens', {
        query: { active: true, client_id: clientId },
      }),
    refetchInterval: LIVE_MS,
  });
}

export interface TokenRequest {
  platform: 'any' | Platform;
  ttl_minutes: number;
  max_usage: number;
}

export function useCreateToken() {
  const queries = useQueryClient();
  const { clientId } = useScope();
  return useMutation({
    mutationFn: (body: TokenRequest) =>
      api<CreatedInstallToken>('/api/install-tokens', {
        method: 'POST',
        body,
        query: { client_id: clientId },
      }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['tokens'] }),
  });
}

export function useRevokeToken() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/install-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['tokens'] });
      void queries.invalidateQueries({ queryKey: ['windows-active'] });
    },
  });
}

/** The "X/N machines installed" of the newest mass-deployment Windows installer. */
export function useActiveWindowsToken(enabled: boolean) {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['windows-active', clientId],
    queryFn: () =>
      api<ActiveWindowsTokenResponse>('/api/install-tokens/windows/active', {
        query: { client_id: clientId },
      }),
    enabled,
    refetchInterval: 5_000,
  });
}

export function useAgentVersions(platform: Platform) {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['agent-versions', platform, clientId],
    queryFn: () =>
      api<{ versions: ListedAgentVersion[] }>('/api/agent-versions', {
        query: { platform, client_id: clientId },
      }),
  });
}

export type VersionFields = Pick<
  ListedAgentVersion,
  | 'version'
  | 'channel'
  | 'platform'
  | 'architecture'
  | 'checksum_sha256'
  | 'file_size_bytes'
  | 'download_url'
  | 'is_active'
  | 'rollout_percent'
  | 'rollout_paused'
>;

function useVersionsChanged() {
  const queries = useQueryClient();
  return () => {
    void queries.invalidateQueries({ queryKey: ['agent-versions'] });
    void queries.invalidateQueries({ queryKey: ['latest-version'] });
    void queries.invalidateQueries({ queryKey: ['available-downloads'] });
  };
}

export function useSaveVersion() {
  const changed = useVersionsChanged();
  return useMutation({
    mutationFn: ({ id, fields }: { id?: string; fields: Partial<VersionFields> }) =>
      id === undefined
        ? api<ListedAgentVersion>('/api/agent-versions', { method: 'POST', body: fields })
        : api<ListedAgentVersion>(`/api/agent-versions/${encodeURIComponent(id)}`, {
            method: 'PATCH',
            body: fields,
          }),
    onSuccess: changed,
  });
}

export function useDeleteVersion() {
  const changed = useVersionsChanged();
  return useMutation({
    mutationFn: (id: string) =>
      api<void>(`/api/agent-versions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: changed,
  });
}

export function useAvailableDownloads(enabled: boolean) {
  return useQuery({
    queryKey: ['available-downloads'],
    queryFn: () =>
      api<{ downloads: AvailableDownload[]; errors: MetadataFileError[] }>(
        '/api/agent-versions/available-downloads',
      ),
    enabled,
  });
}

export function useRequirements() {
  return useQuery({
    queryKey: ['requirements'],
    queryFn: () => api<AgentRequirements>('/agent/requirements'),
  });
}

export function useSaveRequirements() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (body: AgentRequirements) =>
      api<AgentRequirements>('/api/agent/requirements', { method: 'PUT', body }),
    onSuccess: (saved) => queries.setQueryData(['requirements'], saved),
  });
}

export function usePin(enabled: boolean) {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['pin', clientId],
    queryFn: () => api<VersionPin>('/api/agent-versions/pin', { query: { client_id: clientId } }),
    enabled,
  });
}

export function useSavePin() {
  const queries = useQueryClient();
  const { clientId } = useScope();
  return useMutation({
    mutationFn: (version: string | null) =>
      api<VersionPin>('/api/agent-versions/pin', {
        method: 'PUT',
        body: { version },
        query: { client_id: clientId },
      }),
    onSuccess: (saved) => queries.setQueryData(['pin', clientId], saved),
  });
}

export type ListedUser = User & { created_at: string };

export function useUsers() {
  const { clientId } = useScope();
  return useQuery({
    queryKey: ['users', clientId],
    queryFn: () => api<{ users: ListedUser[] }>('/api/users', { query: { client_id: clientId } }),
  });
}

export function useCreateUser() {
  const queries = useQueryClient();
  const { clientId } = useScope();
  return useMutation({
    mutationFn: (body: { email: string; role: 'client_admin' | 'read_only' }) =>
      api<{ user: User; password: string }>('/api/users', {
        method: 'POST',
        body,
        query: { client_id: clientId },
      }),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['users'] }),
  });
}
