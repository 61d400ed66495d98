// The cdp360 GraphiQL page: GraphiQL 5 with the query-builder (explorer) plugin, a token field
// whose token goes with every request, and the example queries of examples/ as the first tabs.
// Everything is bundled by `npm run build` (vite.config.js); nothing loads from another origin.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './page.css';
import { createElement as h, StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';

const TOKEN_KEY = 'cdp360.token';
const endpoint = new URL('/graphql', window.location.href);
const socketEndpoint = new URL(endpoint);
socketEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

// One tab per file, in file-name order; GraphiQL titles a tab after its operation.
const examples = Object.entries(
  import.meta.glob('./examples/*.graphql', { query: '?raw', import: 'default', eager: true }),
)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, query]) => ({ query }));

const explorer = explorerPlugin();

function readToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/// HTTP sends the token as `Authorization: Bearer …` (unless the headers tab sets its own); the
/// WebSocket (graphql-transport-ws) sends it as the `connection_init` payload, as src/http/ws.rs
/// expects. A new token makes a new fetcher, so GraphiQL fetches the schema again.
function makeFetcher(token) {
  const authorization = token ? `Bearer ${token}` : null;
  const wsClient = createClient({
    url: socketEndpoint.href,
    lazy: true,
    connectionParams: () => (authorization ? { Authorization: authorization } : {}),
  });
  const fetcher = createGraphiQLFetcher({
    url: endpoint.href,
    wsClient,
    fetch: (input, init = {}) => {
      const headers = new Headers(init.headers);
      if (authorization && !headers.has('authorization')) headers.set('Authorization', authorization);
      return window.fetch(input, { ...init, headers });
    },
  });
  return { fetcher, wsClient };
}

function TokenBar({ token, onSave }) {
  const [draft, setDraft] = useState('');
  const save = (event) => {
    event.preventDefault();
    // The bare token, `Bearer <token>` or the `{"Authorization": "Bearer <token>"}` line that
    // `cdp360 serve` prints in demo mode.
    const text = draft.trim();
    onSave(text.match(/bearer\s+([^\s"']+)/i)?.[1] ?? text);
    setDraft('');
  };
  return h(
    'form',
    { className: 'cdp-token', onSubmit: save, 'aria-label': 'API token' },
    h('span', { className: 'cdp-title' }, 'cdp360'),
    h(
      'label',
      null,
      'Token ',
      h('input', {
        name: 'token',
        type: 'password',
        autoComplete: 'off',
        spellCheck: false,
        value: draft,
        placeholder: token ? 'saved in this browser; paste to replace' : 'paste a bearer token',
        onChange: (e) => setDraft(e.target.value),
      }),
    ),
    h('button', { type: 'submit', disabled: !draft.trim() }, 'Use token'),
    token ? h('button', { type: 'button', onClick: () => onSave('') }, 'Forget') : null,
    h(
      'span',
      { className: 'cdp-token-state', role: 'status' },
      token
        ? 'Token set.'
        : 'No token: the server refuses queries, docs and autocomplete until you paste one.',
    ),
  );
}

function App() {
  const [token, setToken] = useState(readToken);
  const { fetcher, wsClient } = useMemo(() => makeFetcher(token), [token]);
  const save = (next) => {
    try {
      if (next) window.localStorage.setItem(TOKEN_KEY, next);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage disabled: the token lives until the page is closed.
    }
    // Subscriptions open with the old token end; the next one connects with the new token.
    wsClient.dispose();
    setToken(next);
  };
  return h(
    'div',
    { className: 'cdp-page' },
    h(TokenBar, { token, onSave: save }),
    h(
      'div',
      { className: 'cdp-ide' },
      h(GraphiQL, {
        fetcher,
        plugins: [explorer],
        defaultTabs: examples,
        defaultEditorToolsVisibility: false,
      }),
    ),
  );
}

createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
