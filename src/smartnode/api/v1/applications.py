"""The native API for applications."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
