// Type-checked by `npm run typecheck` (tsc --noEmit): the typed socket and REST client accept what the contract
// allows and reject what it does not. Every `@ts-expect-error` line MUST fail to compile, or tsc reports it unused.
import { io, type Socket } from 'socket.io-client';
import {
  createRavenApi,
  emitWithAck,
  type AckResult,
  type ClientToServerEvents,
  type ConnectErrorCode,
  type ErrorPayload,
  type JoinConversationPayload,
  type NewMessagePayload,
  type RavenConnectError,
  type ServerToClientEvents,
} from '../src/index.js';

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:8080', {
  withCredentials: true,
  transports: ['websocket'],
});

// Emits without acks.
socket.emit('join_conversation', { conversation_id: '507f1f77bcf86cd799439011' });
socket.emit('send_message', { conversation_id: '507f1f77bcf86cd799439011', text: 'Hello, everyone!' });
socket.emit('send_message', { conversation_id: '507f1f77bcf86cd799439011', url: 'https://cdn.example.com/a.pdf', fileName: 'a.pdf' });
socket.emit('heartbeat', { timestamp: Date.now() });

// Emits with acks: the callback's result is typed per event.
socket.emit('send_message', { conversation_id: '507f1f77bcf86cd799439011', text: 'hi' }, (result) => {
  if (result.ok) {
    const message: NewMessagePayload = result.data;
    console.log(message.createdAt.toUpperCase());
  } else {
    const error: ErrorPayload = result.error;
    console.log(error.code, error.message);
  }
});
socket.emit('join_conversation', { conversation_id: '507f1f77bcf86cd799439011' }, (result: AckResult<{ username: string }>) => {
  if (result.ok) console.log(result.data.username);
});
async function withAck(): Promise<void> {
  const result = await emitWithAck(socket, 'send_message', { conversation_id: '507f1f77bcf86cd799439011', text: 'hi' }, 5000);
  if (result.ok) console.log(result.data.senderName);
  const beat = await emitWithAck(socket, 'heartbeat', { timestamp: 1 });
  if (beat.ok) console.log(beat.data.status === 'online');
  // @ts-expect-error the heartbeat ack has no senderName
  if (beat.ok) console.log(beat.data.senderName);
  // @ts-expect-error join_conversation's payload needs conversation_id
  await emitWithAck(socket, 'join_conversation', { text: 'x' });
}
void withAck;

// Listeners get typed payloads.
socket.on('new_message', (message) => console.log(message.senderName, message.text?.trim()));
socket.on('joined_conversation', (joined) => console.log(joined.conversation_id, joined.user_id));
socket.on('friend_status_changed', (status) => console.log(status.status === 'online'));
socket.on('message_deleted', (deleted) => console.log(deleted.id));
socket.on('error', (error) => {
  switch (error.code) {
    case 'JOIN_FAILED':
    case 'SEND_MESSAGE_FAILED':
    case 'PERMISSION_DENIED':
      console.log(error.message);
  }
});
socket.on('connect_error', (error) => {
  const refused = error as RavenConnectError;
  const code: ConnectErrorCode | string = refused.message;
  console.log(code, refused.data?.code);
});
socket.on('disconnect', (reason) => {
  if (reason === 'io server disconnect') socket.connect();
});

// The seed's best practice 6, verbatim.
socket.emit('join_conversation', { conversation_id: '123' } as JoinConversationPayload);
socket.on('new_message', (message: NewMessagePayload) => void message);

// ---- Lines that must NOT compile ----

// @ts-expect-error unknown event
socket.emit('send_mesage', { conversation_id: 'x', text: 'typo' });
// @ts-expect-error the seed's field is conversation_id, not conversationId
socket.emit('join_conversation', { conversationId: '507f1f77bcf86cd799439011' });
// @ts-expect-error conversation_id is required
socket.emit('send_message', { text: 'no conversation' });
// @ts-expect-error text must be a string
socket.emit('send_message', { conversation_id: 'x', text: 42 });
// @ts-expect-error the ack of send_message carries a message, not a membership
socket.emit('send_message', { conversation_id: 'x', text: 'hi' }, (result) => result.ok && result.data.username);
// @ts-expect-error new_message has senderName, not sender_name
socket.on('new_message', (message) => message.sender_name);
// @ts-expect-error unknown server event
socket.on('message_created', () => {});
// @ts-expect-error not an error code of the contract
const badCode: ErrorPayload['code'] = 'NOT_A_CODE';
void badCode;
socket.on('error', (error) => {
  // @ts-expect-error `code` is a union of the contract's codes
  if (error.code === 'JOINED_FAILED') return;
});
// @ts-expect-error data is only there when ok is true
const unchecked = (result: AckResult<NewMessagePayload>) => result.data.id;
void unchecked;

// REST client.
const api = createRavenApi('http://localhost:8080');
const bearer = createRavenApi('http://localhost:8080', { auth: 'bearer', token: () => 'jwt' });
async function rest(): Promise<void> {
  const me = await api.auth.signin({ email: 'a@example.com', password: 'secret1' });
  const lists = await api.conversations.list();
  const page = await bearer.messages.history(lists.direct[0]!.id, { limit: 20, after: me.id });
  console.log(page.pagination.hasMore, page.data[0]?.senderName);
  // @ts-expect-error signin needs a password
  await api.auth.signin({ email: 'a@example.com' });
  // @ts-expect-error history items are MessageDto, which has no `sender` field
  console.log(page.data[0]?.sender);
  // @ts-expect-error conversation type is 'direct' | 'group'
  await api.conversations.create({ type: 'channel', userIds: [] });
}
void rest;
