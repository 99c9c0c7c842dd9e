"""The words of the mail a member gets (invitation, password reset), in their language."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from smartnode.accounts.mail import Mail
from smartnode.config import Settings
from smartnode.web import i18n

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    autoescape=False,  # noqa: S701 - plain-text mail, never HTML
    keep_trailing_newline=True,
)
i18n.install(_env)


def _mail(settings: Settings, template: str, to: str, language: str, **context: str) -> Mail:
    with i18n.using(language):
        module = _env.get_template(template).make_module(
            {"node_name": settings.node_name, "domain": settings.domain, **context}
        )
        subject = str(getattr(module, "subject", "")).strip()
        body = str(module).strip() + "\n"
    return Mail(to=to, subject=subject, body=body, language=language)


def invitation_mail(
    settings: Settings, to: str, language: str, *, name: str, handle: str, url: str, days: int
) -> Mail:
    """The invitation to choose how to sign in."""
    return _mail(settings, "invitation.txt", to, language, name=name, handle=handle, url=url,
                 days=str(days))  # fmt: skip


def reset_mail(
    settings: Settings, to: str, language: str, *, name: str, url: str, minutes: int
) -> Mail:
    """The link to choose a new password."""
    return _mail(settings, "reset.txt", to, language, name=name, url=url, minutes=str(minutes))
