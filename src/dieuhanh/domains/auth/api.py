"""Auth JSON API (stub)."""

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from dieuhanh.core.security import ANONYMOUS, Actor

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def resolve_actor(request: Request, db: Session) -> Actor:
    return ANONYMOUS
