// The seed's ChatRoom component, typed: history on open (REST), live messages (new_message), and a catch-up with
// the `after` cursor every time the room is (re-)joined, so messages sent while this tab was offline appear.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { fetchMessagesAfter, type MessageDto, type NewMessagePayload, type RavenApi, type UserDto } from '@raven/types';
import type { WebSocketState } from './useWebSocket';

type ChatMessage = Pick<NewMessagePayload, 'id' | 'conversationId' | 'senderId' | 'senderName' | 'text' | 'url' | 'fileName' | 'createdAt'>;

interface Props {
  conversationId: string;
  title: string;
  me: UserDto;
  api: RavenApi;
  ws: WebSocketState;
}

const HISTORY_PAGE = 50;

function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function ChatRoom({ conversationId, title, me, api, ws }: Props) {
  const { socket, isConnected, messages: live, joinConversation, leaveConversation, sendMessage, showError } = ws;
  const [history, setHistory] = useState<MessageDto[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [messageText, setMessageText] = useState('');
  const newest = useRef<string | null>(null);

  const merged = useMemo(() => {
    const all = new Map<string, ChatMessage>();
    for (const m of history) all.set(m.id, m);
    for (const m of live) if (m.conversationId === conversationId) all.set(m.id, m);
    return [...all.values()].sort(byTime);
  }, [history, live, conversationId]);
  newest.current = merged.length ? merged[merged.length - 1]!.id : null;

  const addHistory = useCallback((page: MessageDto[]) => {
    setHistory((prev) => {
      const known = new Set(prev.map((m) => m.id));
      return [...prev, ...page.filter((m) => !known.has(m.id))];
    });
  }, []);

  // Open: the latest page (newest first on the wire), then join the room.
  useEffect(() => {
    let cancelled = false;
    setHistory([]);
    setLoaded(false);
    newest.current = null;
    api.messages
      .history(conversationId, { limit: HISTORY_PAGE })
      .then((page) => {
        if (cancelled) return;
        addHistory(page.data);
        setLoaded(true);
        api.conversations.markRead(conversationId).catch(() => undefined);
      })
      .catch((e: Error) => showError(`Could not load history: ${e.message}`));
    joinConversation(conversationId);
    return () => {
      cancelled = true;
      leaveConversation(conversationId);
    };
  }, [conversationId, api, addHistory, joinConversation, leaveConversation, showError]);

  // Every join (the first, and each one after a reconnect): fetch what came after the newest message we have.
  useEffect(() => {
    if (!socket) return;
    const onJoined = (joined: { conversation_id: string }) => {
      if (joined.conversation_id !== conversationId) return;
      const after = newest.current;
      const catchUp = after
        ? fetchMessagesAfter(api, conversationId, after)
        : api.messages.history(conversationId, { limit: HISTORY_PAGE }).then((page) => page.data);
      catchUp.then(addHistory).catch((e: Error) => showError(`Could not load new messages: ${e.message}`));
    };
    socket.on('joined_conversation', onJoined);
    return () => {
      socket.off('joined_conversation', onJoined);
    };
  }, [socket, conversationId, api, addHistory, showError]);

  const handleSend = () => {
    if (sendMessage(conversationId, messageText)) {
      setMessageText('');
    }
  };

  return (
    <div className="main">
      <div className="header">
        <strong data-testid="room-title">{title}</strong>
        <span data-testid="status" className={`status ${isConnected ? 'connected' : 'disconnected'}`}>
          {isConnected ? 'Connected' : 'Disconnected'}
        </span>
        {!loaded && <span>Loading…</span>}
      </div>

      <div className="messages" data-testid="messages">
        {merged.map((msg) => (
          <div key={msg.id} data-testid="message" className={`message${msg.senderId === me.id ? ' mine' : ''}`}>
            <strong>{msg.senderName}:</strong> {msg.text}
            {msg.url && (
              <a href={msg.url} target="_blank" rel="noreferrer">
                {' '}
                {msg.fileName ?? msg.url}
              </a>
            )}
          </div>
        ))}
      </div>

      <div className="composer">
        <input
          data-testid="composer"
          placeholder={isConnected ? 'Message' : 'Not connected'}
          value={messageText}
          onChange={(e) => setMessageText(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && handleSend()}
        />
        <button data-testid="send" onClick={handleSend} disabled={!isConnected}>
          Send
        </button>
      </div>
    </div>
  );
}
