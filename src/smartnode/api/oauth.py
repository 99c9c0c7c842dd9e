"""The OAuth 2 authorization server as Mastodon apps expect it, in one router: app
registration (/api/v1/apps), metadata (/.well-known/oauth-authorization-server), the token and
revocation endpoints (/oauth/token, /oauth/revoke), the consent page (/oauth/authorize) and the
member's apps page (/account/apps). Included ahead of the native /api/smart/v1 router."""

from __future__ import annotations

from fastapi import APIRouter

from smartnode.api import oauth_apps, oauth_token
from smartnode.web import oauth_grants, oauth_pages

router = APIRouter(include_in_schema=False)
router.include_router(oauth_apps.router)
router.include_router(oauth_token.router)
router.include_router(oauth_pages.router)
router.include_router(oauth_grants.router)
