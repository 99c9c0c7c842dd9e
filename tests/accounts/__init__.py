"""Tests of accounts: sign-in, sessions, OAuth 2 for apps."""
