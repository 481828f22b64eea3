#!/usr/bin/env bash
# The main job: the Telegram bot when a token is configured, otherwise the terminal chat.
set -euo pipefail
beian=.venv/bin/beian
token="${TELEGRAM_BOT_TOKEN:-}"
if [ -z "$token" ] && [ -f .env ]; then
  token=$(sed -n 's/^TELEGRAM_BOT_TOKEN=//p' .env | tail -n 1)
fi
if [ -n "$token" ]; then
  echo "== beian: TELEGRAM_BOT_TOKEN is set, so this runs the Telegram bot (beian serve)."
  echo "== To chat in this terminal instead, unset TELEGRAM_BOT_TOKEN (and remove it from .env)."
  exec "$beian" serve
fi
echo "== beian: no TELEGRAM_BOT_TOKEN, so this is the terminal chat (beian chat). Ctrl-D ends it."
echo "== To run the Telegram bot, set TELEGRAM_BOT_TOKEN (see README: Telegram)."
exec "$beian" chat
