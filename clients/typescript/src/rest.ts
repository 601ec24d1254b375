// The REST API under /api/v1 (docs/api.md). Type names are the server's DTO record names
// (src/Raven.Server/Apis/Dtos.cs); test/drift checks each field against the C# records.

/** Success envelope: `{success: true, data, message?}`. */
export interface Envelope<T> {
  success: true;
  data: T;
  message?: string;
}

/** Success without data: `{success: true, message}`. */
export interface MessageEnvelope {
  success: boolean;
  message: string;
}

/** REST error body. `code` is the HTTP status; `error` the symbolic reason. */
export interface ApiErrorBody {
  success: false;
  code: number;
  error: ApiErrorCode;
  message: string;
  details?: string;
  /** Seconds, with 429. */
  retryAfter?: number;
}

/** Symbolic REST error reasons (`error` of {@link ApiErrorBody}). */
export type ApiErrorCode =
  | 'VALIDATION_ERROR'
  | 'INVALID_JSON'
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_REFRESH_TOKEN'
  | 'UNAUTHORIZED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | (string & {});

/** A user as others see it. Times are ISO 8601 UTC strings. */
export interface UserDto {
  id: string;
  username: string;
  email: string;
  avatar: string | null;
  createdAt: string;
}

/** A stored message (history and REST sends). */
export interface MessageDto {
  id: string;
  conversationId: string;
  senderId: string;
  senderName: string;
  /** `""` when the sender has no avatar. */
  senderAvatar: string;
  text: string | null;
  url: string | null;
  fileName: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Cursor pagination of a history page. */
export interface PaginationDto {
  limit: number;
  before: string | null;
  after: string | null;
  hasMore: boolean;
}

/** A history page: newest first, with `pagination` beside `data`. */
export interface MessagePageEnvelope {
  success: boolean;
  data: MessageDto[];
  pagination: PaginationDto;
}

/** Conversation kinds. */
export type ConversationType = 'direct' | 'group';

/** A conversation as created or updated. */
export interface ConversationDto {
  id: string;
  name: string;
  type: ConversationType;
  ownerId: string;
  avatar: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A sidebar entry; a direct conversation's `name` is the other user's email. */
export interface ConversationListItemDto {
  id: string;
  name: string;
  type: ConversationType;
  ownerId: string;
  avatar: string | null;
  createdAt: string;
  updatedAt: string;
  unreadCount: number;
  lastReadAt: string | null;
  otherUserId: string | null;
  lastMessage: MessageDto | null;
}

/** The caller's conversations, split by type. */
export interface ConversationListDto {
  direct: ConversationListItemDto[];
  group: ConversationListItemDto[];
}

/** A conversation with its members. */
export interface ConversationDetailsDto {
  id: string;
  name: string;
  type: ConversationType;
  ownerId: string;
  otherUserId: string | null;
  avatar: string | null;
  createdAt: string;
  updatedAt: string;
  members: UserDto[];
}

/** A friendship seen from the caller's side. */
export interface FriendDto {
  id: string;
  userId: string;
  friendId: string;
  friend: UserDto;
  createdAt: string;
}

/** Friend request states. */
export type FriendRequestStatus = 'pending' | 'accepted' | 'declined';

/** A friend request. */
export interface FriendRequestDto {
  id: string;
  fromUserId: string;
  toUserId: string;
  fromUser: UserDto;
  toUser: UserDto;
  status: FriendRequestStatus;
  createdAt: string;
}

/** An accepted request and the direct conversation it opened. */
export interface AcceptedFriendRequestDto extends FriendRequestDto {
  conversationId: string;
}

/** Sent and received (pending) requests. */
export interface FriendRequestsDto {
  sent: FriendRequestDto[];
  received: FriendRequestDto[];
}

/** Online state of each friend, by user id. */
export interface OnlineStatusDto {
  statuses: Record<string, boolean>;
}

/** Tokens for non-browser clients (`POST /auth/token`). */
export interface TokenDto {
  accessToken: string;
  refreshToken: string;
  /** Seconds. */
  expiresIn: number;
  user: UserDto;
}

/** Rotated tokens (`POST /auth/refresh` with a body token). */
export interface RefreshedTokenDto {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Where to PUT a file, and where it will be served (bare body). */
export interface PresignedUploadDto {
  uploadUrl: string;
  publicUrl: string;
  key: string;
}

/** A stored upload (answer of the PUT). */
export interface UploadedFileDto {
  key: string;
  publicUrl: string;
  size: number;
  contentType: string;
}

// ---- Requests --------------------------------------------------------------------------------------------------

export interface SignupRequest {
  username: string;
  email: string;
  password: string;
}

export interface SigninRequest {
  email: string;
  password: string;
}

export interface RefreshRequest {
  refreshToken?: string | null;
}

/** Profile change; `password` needs `currentPassword`. */
export interface UpdateProfileRequest {
  username?: string | null;
  avatar?: string | null;
  password?: string | null;
  currentPassword?: string | null;
}

/** A new conversation; the caller is added implicitly. */
export interface CreateConversationRequest {
  name?: string | null;
  type: ConversationType;
  userIds: string[];
}

export interface UpdateConversationRequest {
  name?: string | null;
  avatar?: string | null;
}

export interface MemberRequest {
  userId: string;
}

/** A message over REST (at least text or url). */
export interface SendMessageRequest {
  text?: string | null;
  url?: string | null;
  fileName?: string | null;
}

export interface FriendRequestCreate {
  toUserId: string;
}

export interface PresignRequest {
  filename: string;
  contentType: string;
  folder: string;
}

/** History query: `before` pages back (older), `after` pages forward (newer); not both. */
export interface HistoryQuery {
  /** 1..100, default 20. */
  limit?: number;
  before?: string;
  after?: string;
}
