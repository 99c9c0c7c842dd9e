"""The native API for events."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
