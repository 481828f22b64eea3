"""Signing in to the desk: one-time links for registered reviewers, sessions kept server-side.

A link's token is random and stored only as its SHA-256; it is valid 15 minutes and once. A
session is a row (`console_session`) whose key, random, is what the cookie holds (the row keeps
its hash): it ends after 8 hours idle, at sign-out, and as soon as its reviewer is no longer
registered. `aiohttp_session` carries the session through a request; `DatabaseStorage` is its
storage, with the cookie's attributes set explicitly (HttpOnly, SameSite=Strict, Max-Age, and
Secure behind HTTPS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from aiohttp_session import AbstractStorage, Session
from sqlmodel import col, select

from models.db import session_scope
from models.filings import reviewer_ids
from models.tables import ConsoleLogin, ConsoleSession

LINK_VALID = dt.timedelta(minutes=15)
IDLE = dt.timedelta(hours=8)
TOUCH_EVERY = dt.timedelta(minutes=1)  # how often a request moves `seen_at` (a write)
COOKIE = "beian_desk"


def digest(secret: str) -> str:
    """Return the stored form of a token or key: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link_token(engine: sa.Engine, reviewer_id: int, now: dt.datetime) -> str | None:
    """Return a new one-time sign-in token for a registered reviewer (None: not one)."""
    with session_scope(engine) as session:
        if reviewer_id not in reviewer_ids(session):
            return None
        token = secrets.token_urlsafe(24)
        session.add(
            ConsoleLogin(
                token_hash=digest(token),
                reviewer_id=reviewer_id,
                expires_at=now + LINK_VALID,
                created_at=now,
            )
        )
    return token


def link_is_usable(engine: sa.Engine, token: str, now: dt.datetime) -> bool:
    """Say whether a sign-in token is unused and unexpired (nothing is changed)."""
    with session_scope(engine) as session:
        login = session.exec(
            select(ConsoleLogin).where(ConsoleLogin.token_hash == digest(token))
        ).first()
        return login is not None and login.used_at is None and login.expires_at > now


def redeem_link(engine: sa.Engine, token: str, now: dt.datetime) -> int | None:
    """Use a sign-in token once; return its reviewer's id (None: unknown, used, expired, or
    the reviewer is no longer registered)."""
    with session_scope(engine) as session:
        used = session.execute(  # one statement: two tabs pressing at once, one wins
            sa.update(ConsoleLogin)
            .where(
                col(ConsoleLogin.token_hash) == digest(token),
                col(ConsoleLogin.used_at).is_(None),
                col(ConsoleLogin.expires_at) > now,
            )
            .values(used_at=now)
            .returning(col(ConsoleLogin.reviewer_id))
        ).first()
        if used is None:
            return None
        reviewer = int(used[0])
        return reviewer if reviewer in reviewer_ids(session) else None


class DatabaseStorage(AbstractStorage):
    """aiohttp_session's storage for the desk: sessions as rows, the cookie a random key."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Callable[[], dt.datetime],
        secure: bool,
    ) -> None:
        super().__init__(
            cookie_name=f"__Host-{COOKIE}" if secure else COOKIE,
            max_age=int(IDLE.total_seconds()),
            path="/",
            secure=secure,
            httponly=True,
            samesite="Strict",
        )
        self.engine = engine
        self.clock = clock

    async def load_session(self, request: web.Request) -> Session:
        """Return the request's session: the stored one when its key is known, it has not been
        idle for 8 hours and its reviewer is still registered; else a new, empty one."""
        key = self.load_cookie(request)
        found = await asyncio.to_thread(self._load, key) if key else None
        if found is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        data, touch = found
        session = Session(key, data={"created": int(time.time()), "session": data}, new=False,
                          max_age=self.max_age)  # fmt: skip
        if touch:  # the cookie's Max-Age and the row's idle clock start again
            session.changed()
        return session

    def _load(self, key: str) -> tuple[dict[str, Any], bool] | None:
        now = self.clock()
        with session_scope(self.engine) as session:
            row = session.exec(
                select(ConsoleSession).where(ConsoleSession.key_hash == digest(key))
            ).first()
            if row is None:
                return None
            alive = row.seen_at + IDLE > now
            if not alive or row.reviewer_id not in reviewer_ids(session):
                session.delete(row)  # idle too long, or the reviewer was removed: it ends
                return None
            return {**row.data, "reviewer": row.reviewer_id}, row.seen_at + TOUCH_EVERY <= now

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Store the session (a new one gets a new random key) or, emptied, end it."""
        key = session.identity
        data = dict(session)
        if session.empty or "reviewer" not in data:
            if key:
                await asyncio.to_thread(self._end, str(key))
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(32)
            session.set_new_identity(key)
        await asyncio.to_thread(self._store, str(key), data)
        self.save_cookie(response, str(key), max_age=session.max_age)

    def _store(self, key: str, data: dict[str, Any]) -> None:
        now = self.clock()
        reviewer = int(data.pop("reviewer"))
        with session_scope(self.engine) as session:
            row = session.exec(
                select(ConsoleSession).where(ConsoleSession.key_hash == digest(key))
            ).first()
            if row is None:
                row = ConsoleSession(key_hash=digest(key), reviewer_id=reviewer, created_at=now)
            row.data, row.seen_at = data, now
            session.add(row)

    def _end(self, key: str) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                sa.delete(ConsoleSession).where(col(ConsoleSession.key_hash) == digest(key))
            )
