-- What a token may do: 'admin' runs queries and mutations, 'read-only' queries only. Tokens
-- issued before roles existed could mutate, so they stay admin through the default.
ALTER TABLE api_tokens
  ADD COLUMN role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'read-only'));
