"""A member's personal API tokens (/account/tokens)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
