// The typed ten-line client of the repository README, verbatim (type-checked by `npm run typecheck`).
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../src/index.js';

declare const accessToken: string;
declare const conversationId: string;

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:8080', { auth: { token: accessToken }, transports: ['websocket'] });
socket.on('connect', () => socket.emit('join_conversation', { conversation_id: conversationId }));
socket.on('joined_conversation', () => socket.emit('send_message', { conversation_id: conversationId, text: 'Hello, everyone!' }, (ack) => ack.ok || console.error(ack.error.code)));
socket.on('new_message', (message) => console.log(`${message.senderName}: ${message.text}`)); // message: NewMessagePayload
socket.on('error', (error) => console.error(error.code, error.message));                     // code: RavenErrorCode
socket.on('connect_error', (error) => console.error(error.message));                         // AUTHENTICATION_REQUIRED | INVALID_TOKEN | TOKEN_EXPIRED
socket.on('disconnect', (reason) => reason === 'io server disconnect' && socket.connect());
