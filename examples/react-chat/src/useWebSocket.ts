// The seed's useWebSocket hook (docs/websocket-events.md, "Complete Client Implementation"), typed with
// @raven/types and following the seed's best practices: errors shown, socket closed on unmount, conversations
// re-joined after a reconnect, `io server disconnect` handled, payloads validated before emitting.
import { useCallback, useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import {
  validateConversationPayload,
  validateSendMessage,
  type ClientToServerEvents,
  type ConnectErrorCode,
  type NewMessagePayload,
  type RavenConnectError,
  type ServerToClientEvents,
} from '@raven/types';

export type RavenSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Cookie: the httpOnly cookie of `POST /auth/signin` authenticates the handshake. Token: `auth.token`. */
export type SocketAuth = { mode: 'cookie' } | { mode: 'token'; token: string };

const authCodes: readonly string[] = ['AUTHENTICATION_REQUIRED', 'INVALID_TOKEN', 'TOKEN_EXPIRED'] satisfies ConnectErrorCode[];
const HEARTBEAT_MS = 30_000;

export function useWebSocket(auth: SocketAuth, onAuthFailed?: () => void) {
  const [socket, setSocket] = useState<RavenSocket | null>(null);
  const [messages, setMessages] = useState<NewMessagePayload[]>([]);
  const [isConnected, setIsConnected] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  // Bumped on every connect, so a component can refetch what it missed while disconnected.
  const [connectCount, setConnectCount] = useState(0);
  // Conversations to (re-)join on every connect (best practice 3).
  const joined = useRef(new Set<string>());
  const authFailed = useRef(onAuthFailed);
  authFailed.current = onAuthFailed;

  const token = auth.mode === 'token' ? auth.token : null;

  const showError = useCallback((text: string) => setErrors((prev) => [...prev.slice(-4), text]), []);

  useEffect(() => {
    // No URL: the page's own origin (the dev server proxies /socket.io to Raven).
    const newSocket: RavenSocket = io({
      ...(token ? { auth: { token } } : {}),
      withCredentials: true,
      transports: ['websocket'],
      reconnection: true,
      reconnectionAttempts: 5,
      reconnectionDelay: 1000,
    });
    let heartbeat: ReturnType<typeof setInterval> | undefined;

    newSocket.on('connect', () => {
      setIsConnected(true);
      setConnectCount((n) => n + 1);
      for (const conversationId of joined.current) {
        newSocket.emit('join_conversation', { conversation_id: conversationId });
      }
      newSocket.emit('heartbeat', { timestamp: Date.now() });
      clearInterval(heartbeat);
      heartbeat = setInterval(() => newSocket.emit('heartbeat', { timestamp: Date.now() }), HEARTBEAT_MS);
    });

    newSocket.on('disconnect', (reason) => {
      setIsConnected(false);
      clearInterval(heartbeat);
      if (reason === 'io server disconnect') {
        // The server closed this socket; socket.io-client does not retry that by itself (best practice 4).
        newSocket.connect();
      }
    });

    newSocket.on('connect_error', (error) => {
      setIsConnected(false);
      const refused = error as RavenConnectError;
      if (authCodes.includes(refused.message)) {
        showError(`Not signed in (${refused.message}). Please sign in again.`);
        authFailed.current?.();
      } else if (!newSocket.active) {
        showError(`Connection failed: ${refused.message}`);
      }
    });

    newSocket.on('new_message', (message) => {
      setMessages((prev) => (prev.some((m) => m.id === message.id) ? prev : [...prev, message]));
    });

    newSocket.on('error', (error) => {
      console.error('WebSocket error:', error);
      showError(`${error.code}: ${error.message}`);
    });

    // After the reconnection attempts ran out (e.g. a long offline spell), try again once the network is back.
    const onOnline = () => {
      if (!newSocket.connected) newSocket.connect();
    };
    window.addEventListener('online', onOnline);

    setSocket(newSocket);
    return () => {
      window.removeEventListener('online', onOnline);
      clearInterval(heartbeat);
      newSocket.close(); // best practice 2
      setSocket(null);
      setIsConnected(false);
    };
  }, [token, showError]);

  const joinConversation = useCallback(
    (conversationId: string) => {
      const payload = { conversation_id: conversationId };
      const problem = validateConversationPayload(payload);
      if (problem) {
        showError(problem);
        return;
      }
      joined.current.add(conversationId);
      if (socket?.connected) socket.emit('join_conversation', payload);
    },
    [socket, showError],
  );

  const leaveConversation = useCallback(
    (conversationId: string) => {
      joined.current.delete(conversationId);
      if (socket?.connected) socket.emit('leave_conversation', { conversation_id: conversationId });
    },
    [socket],
  );

  /** Returns false (and shows why) when the payload is invalid or the socket is not connected. */
  const sendMessage = useCallback(
    (conversationId: string, text: string): boolean => {
      const payload = { conversation_id: conversationId, text: text.trim() };
      const problem = validateSendMessage(payload);
      if (problem) {
        showError(problem);
        return false;
      }
      if (!socket?.connected) {
        showError('Not connected: the message was not sent.');
        return false;
      }
      socket.emit('send_message', payload);
      return true;
    },
    [socket, showError],
  );

  const dismissErrors = useCallback(() => setErrors([]), []);

  return { socket, isConnected, connectCount, messages, errors, dismissErrors, showError, joinConversation, leaveConversation, sendMessage };
}

export type WebSocketState = ReturnType<typeof useWebSocket>;
