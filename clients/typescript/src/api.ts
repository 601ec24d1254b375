// A small typed fetch client for the REST API. Two auth modes:
//  - cookie (default): the browser keeps the httpOnly `accessToken` cookie that sign-in sets, and sends it with
//    every request (`credentials: 'include'`); the same cookie authenticates the Socket.IO handshake.
//  - bearer: `Authorization: Bearer <token>` from `token` (a string or a function, for a token that rotates).

import type {
  AcceptedFriendRequestDto,
  ApiErrorBody,
  ConversationDetailsDto,
  ConversationDto,
  ConversationListDto,
  CreateConversationRequest,
  Envelope,
  FriendDto,
  FriendRequestDto,
  FriendRequestsDto,
  HistoryQuery,
  MessageDto,
  MessageEnvelope,
  MessagePageEnvelope,
  OnlineStatusDto,
  PresignedUploadDto,
  PresignRequest,
  RefreshedTokenDto,
  SendMessageRequest,
  SigninRequest,
  SignupRequest,
  TokenDto,
  UpdateConversationRequest,
  UpdateProfileRequest,
  UserDto,
} from './rest.js';

/** Options of {@link createRavenApi}. */
export interface RavenApiOptions {
  /** `cookie` (default) or `bearer`. */
  auth?: 'cookie' | 'bearer';
  /** The bearer token, or a function returning the current one (bearer mode). */
  token?: string | (() => string | null | undefined);
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/** A failed REST call: the HTTP status and the server's error body (when it sent JSON). */
export class RavenApiError extends Error {
  readonly status: number;
  readonly body: ApiErrorBody | undefined;

  constructor(status: number, body: ApiErrorBody | undefined, fallback: string) {
    super(body?.message ?? fallback);
    this.name = 'RavenApiError';
    this.status = status;
    this.body = body;
  }

  /** The symbolic reason (`VALIDATION_ERROR`, `TOKEN_EXPIRED`, ...), if the server sent one. */
  get code(): string | undefined {
    return this.body?.error;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Creates the client. `baseUrl` is the server's origin (`http://localhost:8080`) or `''` for the page's own. */
export function createRavenApi(baseUrl: string, options: RavenApiOptions = {}) {
  const root = baseUrl.replace(/\/+$/, '') + '/api/v1';
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const bearer = options.auth === 'bearer' || (options.auth === undefined && options.token !== undefined);

  async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    if (bearer) {
      const token = typeof options.token === 'function' ? options.token() : options.token;
      if (token) {
        headers['Authorization'] = `Bearer ${token}`;
      }
    }
    const response = await doFetch(root + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: bearer ? 'omit' : 'include',
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      throw new RavenApiError(response.status, json as ApiErrorBody | undefined, `${method} ${path}: HTTP ${response.status}`);
    }
    return json as T;
  }

  const data = async <T>(method: Method, path: string, body?: unknown): Promise<T> =>
    (await request<Envelope<T>>(method, path, body)).data;
  const id = (value: string) => encodeURIComponent(value);

  return {
    /** The low-level call: the whole JSON body. */
    request,
    auth: {
      signup: (body: SignupRequest) => data<UserDto>('POST', '/auth/signup', body),
      /** Sets the `accessToken`/`refreshToken` httpOnly cookies (cookie mode). */
      signin: (body: SigninRequest) => data<UserDto>('POST', '/auth/signin', body),
      /** Tokens in the body, for bearer mode and non-browser clients. */
      token: (body: SigninRequest) => data<TokenDto>('POST', '/auth/token', body),
      /** Cookie mode: no argument (rotates the cookies). Bearer mode: the refresh token. */
      refresh: async (refreshToken?: string): Promise<RefreshedTokenDto | undefined> =>
        (await request<Partial<Envelope<RefreshedTokenDto>>>('POST', '/auth/refresh', refreshToken ? { refreshToken } : undefined)).data,
      signout: () => request<MessageEnvelope>('POST', '/auth/signout'),
      me: () => data<UserDto>('GET', '/auth/me'),
    },
    users: {
      profile: () => data<UserDto>('GET', '/users/profile'),
      updateProfile: (body: UpdateProfileRequest) => data<UserDto>('PUT', '/users/profile', body),
      /** Bare array (no envelope), at most 10, the caller included. */
      search: (username: string) => request<UserDto[]>('GET', `/users/search?username=${encodeURIComponent(username)}`),
      get: (userId: string) => data<UserDto>('GET', `/users/${id(userId)}`),
    },
    conversations: {
      list: () => data<ConversationListDto>('GET', '/conversations'),
      get: (conversationId: string) => data<ConversationDetailsDto>('GET', `/conversations/${id(conversationId)}`),
      create: (body: CreateConversationRequest) => data<ConversationDetailsDto>('POST', '/conversations', body),
      update: (conversationId: string, body: UpdateConversationRequest) =>
        data<ConversationDto>('PUT', `/conversations/${id(conversationId)}`, body),
      delete: (conversationId: string) => request<MessageEnvelope>('DELETE', `/conversations/${id(conversationId)}`),
      addMember: (conversationId: string, userId: string) =>
        request<MessageEnvelope>('POST', `/conversations/${id(conversationId)}/user`, { userId }),
      removeMember: (conversationId: string, userId: string) =>
        request<MessageEnvelope>('DELETE', `/conversations/${id(conversationId)}/user`, { userId }),
      leave: (conversationId: string) => request<MessageEnvelope>('PUT', `/conversations/${id(conversationId)}/user`, {}),
      markRead: (conversationId: string) => request<MessageEnvelope>('POST', `/conversations/${id(conversationId)}/read`, {}),
    },
    messages: {
      /** One page, newest first; `pagination.hasMore` says whether to ask again with the next cursor. */
      history: (conversationId: string, query: HistoryQuery = {}) => {
        const params = new URLSearchParams();
        if (query.limit !== undefined) params.set('limit', String(query.limit));
        if (query.before) params.set('before', query.before);
        if (query.after) params.set('after', query.after);
        const qs = params.toString();
        return request<MessagePageEnvelope>('GET', `/messages/conversation/${id(conversationId)}${qs ? '?' + qs : ''}`);
      },
      send: (conversationId: string, body: SendMessageRequest) =>
        data<MessageDto>('POST', `/messages/conversation/${id(conversationId)}`, body),
      get: (messageId: string) => data<MessageDto>('GET', `/messages/${id(messageId)}`),
      delete: (messageId: string) => data<MessageDto>('DELETE', `/messages/${id(messageId)}`),
    },
    friends: {
      list: () => data<FriendDto[]>('GET', '/friends'),
      requests: () => data<FriendRequestsDto>('GET', '/friends/requests'),
      sendRequest: (toUserId: string) => data<FriendRequestDto>('POST', '/friends/requests', { toUserId }),
      accept: (requestId: string) => data<AcceptedFriendRequestDto>('POST', `/friends/requests/${id(requestId)}/accept`),
      decline: (requestId: string) => data<FriendRequestDto>('POST', `/friends/requests/${id(requestId)}/decline`),
      onlineStatus: () => data<OnlineStatusDto>('GET', '/friends/online-status'),
    },
    uploads: {
      /** Bare body: PUT the file to `uploadUrl` with the same Content-Type, then send `publicUrl` as a message url. */
      presign: (body: PresignRequest) => request<PresignedUploadDto>('POST', '/upload/presigned-url', body),
    },
  };
}

/** The client {@link createRavenApi} returns. */
export type RavenApi = ReturnType<typeof createRavenApi>;

/**
 * Every message newer than `after`, newest first: pages forward with the `after` cursor until `hasMore` is false.
 * What a client calls after a reconnect to fetch what it missed.
 */
export async function fetchMessagesAfter(api: RavenApi, conversationId: string, after: string, pageSize = 100): Promise<MessageDto[]> {
  const newer: MessageDto[] = [];
  let cursor = after;
  for (;;) {
    const page = await api.messages.history(conversationId, { limit: pageSize, after: cursor });
    newer.unshift(...page.data);
    if (!page.pagination.hasMore || page.data.length === 0) {
      return newer;
    }
    cursor = page.data[0]!.id;
  }
}
