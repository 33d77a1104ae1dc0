-- Registered users have a username (stored lower-cased: usernames are case-insensitive) and an
-- argon2id password hash; guests have neither.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text,
  password_hash text,
  guest         boolean NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (username = lower(username)),
  CHECK (guest = (username IS NULL)),
  CHECK ((username IS NULL) = (password_hash IS NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (username);

-- Databases created before this file was edited also have an idempotency_keys table: the gateway
-- never used it (Idempotency-Key is handled by the services), so it is no longer created here.
