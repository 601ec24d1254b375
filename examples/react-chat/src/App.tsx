// A minimal app around the seed's hook and component: sign in (cookie or token), list conversations, open one.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { createRavenApi, RavenApiError, type ConversationListItemDto, type RavenApi, type UserDto } from '@raven/types';
import { ChatRoom } from './ChatRoom';
import { useWebSocket, type SocketAuth } from './useWebSocket';

interface Session {
  me: UserDto;
  auth: SocketAuth;
  api: RavenApi;
}

// '' = this page's origin; the dev/preview server proxies /api and /socket.io to Raven (vite.config.ts).
const cookieApi = createRavenApi('');

const describe = (e: unknown) => (e instanceof RavenApiError ? `${e.message} (${e.status})` : e instanceof Error ? e.message : String(e));

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);

  // A cookie from an earlier visit may still be valid.
  useEffect(() => {
    cookieApi.auth
      .me()
      .then((me) => setSession({ me, auth: { mode: 'cookie' }, api: cookieApi }))
      .catch(() => undefined)
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p>Loading…</p>;
  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <Chat
      session={session}
      onSignOut={() => {
        if (session.auth.mode === 'cookie') cookieApi.auth.signout().catch(() => undefined);
        setSession(null);
      }}
    />
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [username, setUsername] = useState('');
  const [mode, setMode] = useState<SocketAuth['mode']>('cookie');
  const [error, setError] = useState<string | null>(null);

  const signIn = async () => {
    if (mode === 'cookie') {
      const me = await cookieApi.auth.signin({ email, password });
      onSignedIn({ me, auth: { mode: 'cookie' }, api: cookieApi });
    } else {
      const tokens = await cookieApi.auth.token({ email, password });
      const api = createRavenApi('', { auth: 'bearer', token: tokens.accessToken });
      onSignedIn({ me: tokens.user, auth: { mode: 'token', token: tokens.accessToken }, api });
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    signIn().catch((err: unknown) => setError(describe(err)));
  };

  const signUp = () => {
    setError(null);
    cookieApi.auth
      .signup({ username, email, password })
      .then(signIn)
      .catch((err: unknown) => setError(describe(err)));
  };

  return (
    <form className="signin" onSubmit={submit}>
      <h2>Raven</h2>
      <input data-testid="email" placeholder="Email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <input data-testid="password" placeholder="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <label>
        <input type="radio" name="mode" checked={mode === 'cookie'} onChange={() => setMode('cookie')} /> Cookie (httpOnly)
      </label>
      <label>
        <input data-testid="mode-token" type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> Token (Bearer + auth.token)
      </label>
      <button data-testid="signin" type="submit">Sign in</button>
      <input placeholder="Username (sign up only)" value={username} onChange={(e) => setUsername(e.target.value)} />
      <button type="button" onClick={signUp}>Sign up</button>
      {error && <div className="errors" data-testid="signin-error">{error}</div>}
    </form>
  );
}

function Chat({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const ws = useWebSocket(session.auth, onSignOut);
  const [conversations, setConversations] = useState<ConversationListItemDto[]>([]);
  const [openId, setOpenId] = useState<string | null>(null);
  const { showError } = ws;

  useEffect(() => {
    session.api.conversations
      .list()
      .then((list) => setConversations([...list.group, ...list.direct]))
      .catch((e: unknown) => showError(`Could not load conversations: ${describe(e)}`));
  }, [session.api, showError]);

  const open = useMemo(() => conversations.find((c) => c.id === openId), [conversations, openId]);

  return (
    <div className="app">
      <div className="sidebar">
        <div data-testid="me">{session.me.username}</div>
        <button onClick={onSignOut}>Sign out</button>
        <h4>Conversations</h4>
        {conversations.map((c) => (
          <button
            key={c.id}
            data-testid="conversation"
            className={`conversation${c.id === openId ? ' active' : ''}`}
            onClick={() => setOpenId(c.id)}
          >
            {c.type === 'direct' ? c.name.split('@')[0] : c.name}
          </button>
        ))}
      </div>
      <div className="main">
        {ws.errors.length > 0 && (
          <div className="errors" data-testid="errors">
            {ws.errors.map((e, i) => (
              <div key={i}>{e}</div>
            ))}
            <button onClick={ws.dismissErrors}>Dismiss</button>
          </div>
        )}
        {open ? (
          <ChatRoom key={open.id} conversationId={open.id} title={open.name} me={session.me} api={session.api} ws={ws} />
        ) : (
          <p style={{ padding: 16 }}>
            Pick a conversation. <span data-testid="status">{ws.isConnected ? 'Connected' : 'Disconnected'}</span>
          </p>
        )}
      </div>
    </div>
  );
}
