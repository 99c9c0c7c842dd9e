"""The native API for calls."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
