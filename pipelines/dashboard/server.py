"""The dashboard's server: Streamlit (`st.App`) with two small routes of its own for the session cookie.

Streamlit's page runs over a websocket and cannot set an HttpOnly cookie, so after a login the page shows a
hidden image of `/rasad/session?ticket=...`: this route checks the one-time ticket and answers with the
signed session cookie (HttpOnly, SameSite=Lax, Secure behind https). `/rasad/logout` clears it. Both answer
204 with no body and are never cached. See pipelines/dashboard/sessions.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.dashboard.sessions import COOKIE_NAME, LOGOUT_ROUTE, SESSION_ROUTE, redeem_ticket, session_key
from pipelines.settings import get_settings

_NO_STORE = {"Cache-Control": "no-store"}


def _secure() -> bool:
    return get_settings().dashboard_base_url.lower().startswith("https://")


async def set_session_cookie(request: Request) -> Response:
    """Trade a one-time ticket for the session cookie."""
    settings = get_settings()
    redeemed = redeem_ticket(request.query_params.get("ticket"), session_key(settings), settings)
    if redeemed is None:
        return Response(status_code=403, headers=_NO_STORE)
    value, max_age = redeemed
    response = Response(status_code=204, headers=_NO_STORE)
    response.set_cookie(COOKIE_NAME, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=_secure())
    return response


async def clear_session_cookie(request: Request) -> Response:
    """Clear the session cookie (logout, or a cookie the page refused)."""
    response = Response(status_code=204, headers=_NO_STORE)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure())
    return response


def routes() -> list[Route]:
    """The dashboard's own routes, beside Streamlit's."""
    return [Route(f"/{SESSION_ROUTE}", set_session_cookie, methods=["GET"]),
            Route(f"/{LOGOUT_ROUTE}", clear_session_cookie, methods=["GET"])]
