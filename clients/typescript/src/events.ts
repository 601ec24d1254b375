// The Socket.IO contract of Raven (docs/websocket-events.md): every event in both directions, its payload,
// its acknowledgement, and the error codes. Checked against the C# server by tests/js/client-kit/drift.test.mjs (see README).

/** Event names, so code can say `SocketEvent.SEND_MESSAGE` instead of a string. */
export const SocketEvent = {
  // Client to server.
  JOIN_CONVERSATION: 'join_conversation',
  LEAVE_CONVERSATION: 'leave_conversation',
  SEND_MESSAGE: 'send_message',
  HEARTBEAT: 'heartbeat',
  // Server to client.
  JOINED_CONVERSATION: 'joined_conversation',
  USER_JOINED: 'user_joined',
  LEFT_CONVERSATION: 'left_conversation',
  USER_LEFT: 'user_left',
  NEW_MESSAGE: 'new_message',
  MESSAGE_DELETED: 'message_deleted',
  FRIEND_STATUS_CHANGED: 'friend_status_changed',
  ERROR: 'error',
} as const;

/** Any event name of the contract. */
export type SocketEventName = (typeof SocketEvent)[keyof typeof SocketEvent];

// ---- Client to server ------------------------------------------------------------------------------------------

/** `join_conversation`: join a conversation's room (you must be a participant). */
export interface JoinConversationPayload {
  /** 24-character hex id of the conversation. */
  conversation_id: string;
}

/** `leave_conversation`: leave a conversation's room. */
export interface LeaveConversationPayload {
  conversation_id: string;
}

/** `send_message`: at least one of `text`, `url`, `fileName` must be non-empty. */
export interface SendMessagePayload {
  conversation_id: string;
  text?: string | null;
  /** URL of an uploaded file (see `POST /upload/presigned-url`). */
  url?: string | null;
  /** Original name of the uploaded file. */
  fileName?: string | null;
}

/** `heartbeat`: refreshes presence; the server ignores the value and uses its own clock. */
export interface HeartbeatPayload {
  /** Client time, e.g. `Date.now()`. */
  timestamp?: number;
}

// ---- Server to client ------------------------------------------------------------------------------------------

/** Who joined or left which conversation room. */
export interface MembershipPayload {
  conversation_id: string;
  user_id: string;
  username: string;
}

/** `joined_conversation`: sent to the socket that joined. */
export type JoinedConversationPayload = MembershipPayload;
/** `user_joined`: sent to the other sockets of the room. */
export type UserJoinedPayload = MembershipPayload;
/** `left_conversation`: sent to the socket that left (always, so a client can wait for it). */
export type LeftConversationPayload = MembershipPayload;
/** `user_left`: sent to the other sockets of the room. */
export type UserLeftPayload = MembershipPayload;

/** `new_message`: a stored message, sent to the room (sender included). */
export interface NewMessagePayload {
  id: string;
  conversationId: string;
  senderId: string;
  senderName: string;
  /** Absent when the sender has no avatar. */
  senderAvatar?: string;
  text: string | null;
  url: string | null;
  fileName: string | null;
  /** ISO 8601 UTC with milliseconds (`toISOString()` format). */
  createdAt: string;
}

/** `message_deleted`: a message was deleted over REST. */
export interface MessageDeletedPayload {
  id: string;
  conversationId: string;
}

/** Presence states. */
export type PresenceStatus = 'online' | 'offline';

/** `friend_status_changed`: a friend or co-participant came online or went offline. */
export interface FriendStatusChangedPayload {
  user_id: string;
  status: PresenceStatus;
  /** ISO 8601 UTC. */
  timestamp: string;
}

/** The acknowledgement data of `heartbeat`. */
export interface HeartbeatAckData {
  user_id: string;
  status: PresenceStatus;
  timestamp: string;
}

// ---- Errors ----------------------------------------------------------------------------------------------------

/** Codes of the `error` event (and of a failed ack). */
export type RavenErrorCode =
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  | 'JOIN_FAILED'
  | 'LEAVE_FAILED'
  | 'SEND_MESSAGE_FAILED'
  | 'PERMISSION_DENIED'
  | 'RATE_LIMITED'
  | 'TOO_MANY_SOCKETS'
  | 'INTERNAL_ERROR';

/** `err.message` of a `connect_error` the server refused (the handshake authentication). */
export type ConnectErrorCode = 'AUTHENTICATION_REQUIRED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOO_MANY_SOCKETS';

/** `error` event payload; also the `error` of a failed ack and the `data` of a refused `connect_error`. */
export interface ErrorPayload {
  code: RavenErrorCode;
  message: string;
  details?: string;
}

/**
 * What a `connect_error` listener receives. `message` is a {@link ConnectErrorCode} when the server refused the
 * handshake, or a socket.io-client transport message (e.g. `"websocket error"`, `"timeout"`) otherwise.
 */
export interface RavenConnectError extends Error {
  message: ConnectErrorCode | (string & {});
  data?: ErrorPayload;
}

/** The acknowledgement of a client event emitted with a callback. */
export type AckResult<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

/** An acknowledgement callback. */
export type Ack<T> = (result: AckResult<T>) => void;

// ---- Event maps for socket.io-client's Socket<ServerToClientEvents, ClientToServerEvents> --------------------

/** Events the server emits. */
export interface ServerToClientEvents {
  joined_conversation: (payload: JoinedConversationPayload) => void;
  user_joined: (payload: UserJoinedPayload) => void;
  left_conversation: (payload: LeftConversationPayload) => void;
  user_left: (payload: UserLeftPayload) => void;
  new_message: (payload: NewMessagePayload) => void;
  message_deleted: (payload: MessageDeletedPayload) => void;
  friend_status_changed: (payload: FriendStatusChangedPayload) => void;
  error: (payload: ErrorPayload) => void;
}

/** The payload of each client event. */
export interface ClientEventPayloads {
  join_conversation: JoinConversationPayload;
  leave_conversation: LeaveConversationPayload;
  send_message: SendMessagePayload;
  heartbeat: HeartbeatPayload;
}

/** The acknowledgement data of each client event. */
export interface ClientEventAcks {
  join_conversation: JoinedConversationPayload;
  leave_conversation: LeftConversationPayload;
  send_message: NewMessagePayload;
  heartbeat: HeartbeatAckData;
}

/** A client event name. */
export type ClientEventName = keyof ClientEventPayloads;

/**
 * Events the client emits; each may be sent with or without an acknowledgement callback. (The callback is optional,
 * so socket.io-client's own `emitWithAck`/`timeout()` cannot infer its type: use {@link emitWithAck} for a promise.)
 */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientEventPayloads[E], ack?: Ack<ClientEventAcks[E]>) => void;
};

/** What {@link emitWithAck} needs of a socket.io-client socket (structural, so this package does not import it). */
export interface AckCapableSocket {
  timeout(ms: number): { emit(event: string, ...args: unknown[]): unknown };
}

/**
 * Emits a client event with an acknowledgement and resolves with its typed result; rejects when the server does
 * not answer within `timeoutMs` (socket.io-client's timeout error).
 */
export function emitWithAck<E extends ClientEventName>(
  socket: AckCapableSocket,
  event: E,
  payload: ClientEventPayloads[E],
  timeoutMs = 10_000,
): Promise<AckResult<ClientEventAcks[E]>> {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, result: AckResult<ClientEventAcks[E]>) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

/** The disconnect reasons socket.io-client reports. `io server disconnect` needs a manual `socket.connect()`. */
export type DisconnectReason =
  | 'io server disconnect'
  | 'io client disconnect'
  | 'ping timeout'
  | 'transport close'
  | 'transport error'
  | 'parse error';

// ---- Helpers ---------------------------------------------------------------------------------------------------

/** Builds an error payload (the seed's `createErrorPayload`). */
export function createErrorPayload(code: RavenErrorCode, message: string, details?: string): ErrorPayload {
  return details === undefined ? { code, message } : { code, message, details };
}

const objectId = /^[0-9a-f]{24}$/;

/** Whether `id` has the server's id format (24 lower-case hex characters). */
export function isRavenId(id: unknown): id is string {
  return typeof id === 'string' && objectId.test(id);
}

/** Default longest message text (the server's `MAX_MESSAGE_LENGTH`). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 5000;

/**
 * Checks a `send_message` payload the way the server will (best practice 5), so the UI can say what is wrong
 * without a round trip. Returns null when the payload is fine, else the problem.
 */
export function validateSendMessage(payload: SendMessagePayload, maxLength = DEFAULT_MAX_MESSAGE_LENGTH): string | null {
  if (!isRavenId(payload.conversation_id)) {
    return 'conversation_id is not a valid id';
  }
  const text = payload.text?.trim() ?? '';
  if (!text && !payload.url && !payload.fileName) {
    return 'nothing to send: text, url or fileName is required';
  }
  if (text.length > maxLength) {
    return `text is longer than ${maxLength} characters`;
  }
  return null;
}

/** Checks a join/leave payload. Returns null when fine, else the problem. */
export function validateConversationPayload(payload: JoinConversationPayload | LeaveConversationPayload): string | null {
  return isRavenId(payload.conversation_id) ? null : 'conversation_id is not a valid id';
}
