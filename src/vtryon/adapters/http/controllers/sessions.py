"""Live nail try-on sessions (explore / upload), their WebSocket tickets, and the design catalogue.

Every service call that reaches the session store runs in the store pool (``run_blocking``): with Redis
behind it, the event loop must never wait on a socket.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import PathParameter

from vtryon.adapters.http.blocking import run_blocking
from vtryon.adapters.http.schemas import (
    CreateSessionJSON,
    DesignList,
    DesignView,
    SessionEnvelope,
    SessionList,
    SessionView,
    TicketView,
)
from vtryon.adapters.http.state import Principal, ServicesDep
from vtryon.domain.errors import ErrorCode, InvalidInput, UnsupportedMedia
from vtryon.domain.session import Session

__all__ = ("DesignController", "SessionController")

SessionId = Annotated[str, PathParameter(description="Session id", max_length=64)]
TICKET_TTL = 30.0


def _envelope(services: ServicesDep, session: Session) -> SessionEnvelope:
    return SessionEnvelope(
        success=True, session_id=session.id, session=SessionView.of(session, services.sessions.now())
    )


def _flag(value: Any, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class SessionController(Controller):
    path = "/api/try-on/sessions"
    tags = ["live sessions"]

    @post(
        "/",
        operation_id="createSession",
        summary="Open a live nail try-on session",
        description='JSON `{"mode": "explore", "post_id": 1, "mirrored": true}` for a catalogue design, or '
        "multipart `mode=upload` with `nail_reference_image` (and optional `source_image`, `mirrored`). "
        "Sessions expire after 30 minutes; extend them with POST .../{id}/extend/.",
        status_code=201,
    )
    async def create(
        self, request: Request[Any, Any, Any], services: ServicesDep, principal: Principal
    ) -> SessionEnvelope:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            mode = str(form.get("mode") or "upload")
            mirrored = _flag(form.get("mirrored"))
            if mode == "explore":
                post_id = _post_id(form.get("post_id"))
                session = await run_blocking(
                    services.sessions.create_explore, principal, post_id, mirrored=mirrored
                )
                return _envelope(services, session)
            if mode != "upload":
                raise InvalidInput(
                    f"mode must be explore or upload, got {mode!r}", code=ErrorCode.INVALID_MODE
                )
            reference = form.get("nail_reference_image")
            if not isinstance(reference, UploadFile):
                raise InvalidInput(
                    "upload mode needs a nail_reference_image file", code=ErrorCode.MISSING_REFERENCE_IMAGE
                )
            source = form.get("source_image")
            reference_bytes = await reference.read()
            source_bytes = await source.read() if isinstance(source, UploadFile) else None
            session = await run_blocking(
                services.sessions.create_upload, principal, reference_bytes, source_bytes, mirrored=mirrored
            )
            return _envelope(services, session)
        if content_type and not content_type.startswith("application/json"):
            raise UnsupportedMedia(
                "send JSON or multipart/form-data", code=ErrorCode.UNSUPPORTED_CONTENT_TYPE
            )
        try:
            body = msgspec.json.decode(await request.body(), type=CreateSessionJSON)
        except msgspec.DecodeError as exc:
            raise InvalidInput(f"bad session request: {exc}", code=ErrorCode.INVALID_BODY) from None
        if body.mode != "explore":
            raise InvalidInput(
                "JSON requests open explore sessions; upload mode is multipart", code=ErrorCode.INVALID_MODE
            )
        if body.post_id is None:
            raise InvalidInput("an explore session needs a post_id", code=ErrorCode.MISSING_POST_ID)
        session = await run_blocking(
            services.sessions.create_explore, principal, body.post_id, mirrored=body.mirrored
        )
        return _envelope(services, session)

    @get("/", operation_id="listSessions", summary="The caller's active sessions")
    async def list_sessions(self, services: ServicesDep, principal: Principal) -> SessionList:
        sessions = await run_blocking(services.sessions.list_for, principal)
        now = services.sessions.now()
        return SessionList(success=True, sessions=[SessionView.of(s, now) for s in sessions])

    @get("/{session_id:str}/", operation_id="getSession", summary="One session (410 once expired)")
    async def get_session(
        self, session_id: SessionId, services: ServicesDep, principal: Principal
    ) -> SessionEnvelope:
        return _envelope(services, await run_blocking(services.sessions.get, principal, session_id))

    @post(
        "/{session_id:str}/extend/",
        operation_id="extendSession",
        summary="Push expiry to 30 minutes from now",
        status_code=200,
    )
    async def extend(
        self, session_id: SessionId, services: ServicesDep, principal: Principal
    ) -> SessionEnvelope:
        return _envelope(services, await run_blocking(services.sessions.extend, principal, session_id))

    @post(
        "/{session_id:str}/ticket/",
        operation_id="issueSocketTicket",
        summary="A single-use, 30-second ticket for the session's WebSocket",
        description="Browsers cannot set headers on a WebSocket: pass the ticket as the subprotocol "
        "`ticket.<ticket>` next to `vtryon.v1`. Needed only when the server has API keys.",
        status_code=200,
    )
    async def ticket(self, session_id: SessionId, services: ServicesDep, principal: Principal) -> TicketView:
        ticket = await services.live.issue_ticket(principal, session_id)
        return TicketView(success=True, ticket=ticket, expires_in=TICKET_TTL)


def _post_id(raw: Any) -> int:
    try:
        return int(str(raw))
    except ValueError:
        raise InvalidInput(
            f"post_id must be an integer, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
        ) from None


class DesignController(Controller):
    path = "/api/designs"
    tags = ["live sessions"]

    @get("/", operation_id="listDesigns", summary="Catalogue designs (their ids are explore-mode post_ids)")
    async def list_designs(self, services: ServicesDep) -> DesignList:
        designs = await run_blocking(services.sessions.designs)  # a designs directory is read from disk
        return DesignList(success=True, designs=[DesignView.of(d) for d in designs])
