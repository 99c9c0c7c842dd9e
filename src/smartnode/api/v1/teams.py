"""The native API for teams."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
