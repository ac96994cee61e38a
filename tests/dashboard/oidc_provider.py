"""A small OpenID Connect provider on loopback for the dashboard's production login tests.

Discovery, an authorization endpoint that logs in whoever the test says (no form), a token endpoint that
issues RS256 id tokens (with the client's nonce, and a lifetime the test chooses), the JWKS, and an
end-session endpoint that records each logout. Codes are single-use. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "rasad-dashboard"
CLIENT_SECRET = "a-test-client-secret"


@dataclass
class Identity:
    """Who the next login is, and how long its id token lives (negative: already expired)."""

    email: str
    name: str = "کاربر آزمون"
    token_seconds: int = 600
    extra: dict = field(default_factory=dict)


class MockProvider:
    """Run with `with MockProvider() as idp:`; set `idp.identity` before each login."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.identity: Identity | None = None
        self.codes: dict[str, tuple[Identity, str | None]] = {}
        self.logouts: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def __enter__(self) -> MockProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, identity: Identity, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": identity.email, "aud": CLIENT_ID, "iat": now,
                  "exp": now + identity.token_seconds, "email": identity.email, "email_verified": True,
                  "name": identity.name, **identity.extra}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._json({
                        "issuer": idp.issuer, "authorization_endpoint": f"{idp.issuer}/authorize",
                        "token_endpoint": f"{idp.issuer}/token", "jwks_uri": f"{idp.issuer}/jwks",
                        "end_session_endpoint": f"{idp.issuer}/logout", "response_types_supported": ["code"],
                        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid", "email", "profile"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    })
                elif url.path == "/jwks":
                    self._json({"keys": [idp.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID or idp.identity is None:
                        self._json({"error": "unauthorized_client"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = (idp.identity, query.get("nonce"))
                    back = {"code": code, "state": query.get("state", "")}
                    self._redirect(f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}")
                elif url.path == "/logout":
                    idp.logouts.append(query)
                    self._redirect(query.get("post_logout_redirect_uri") or "/")
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                if urllib.parse.urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                found = idp.codes.pop(form.get("code", ""), None)
                if found is None:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                identity, nonce = found
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                            "expires_in": max(identity.token_seconds, 1), "scope": "openid email profile",
                            "id_token": idp.id_token(identity, nonce)})

            def log_message(self, *args) -> None:
                pass

        return Handler
