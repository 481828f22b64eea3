"""Settings from the environment (and an optional .env file): the one place configuration enters."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    """beian's configuration; environment variable names are the field names in capitals."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    beian_pack: str = "example"
    beian_lang: Literal["zh", "en"] = "zh"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    # Freeze "today" (Asia/Shanghai) for demos and scripted conversations; unset in production.
    beian_today: dt.date | None = None
