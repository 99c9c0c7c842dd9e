"""Accounts: how members sign in (password, passkeys, TOTP, the cooperative's OpenID provider),
browser sessions, one-time links, OAuth 2 for apps, and the acting principal every use case
receives."""
