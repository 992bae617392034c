# Test cases for bot/analyzers/rules/misc.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import socket

from fastapi.middleware.cors import CORSMiddleware


def checks(user, count):
    # ruleid: assert-for-authorization
    assert user.is_admin, "admins only"
    # ruleid: assert-for-authorization
    assert user.has_perm("delete")
    # ok: assert-for-authorization
    assert count > 0, "empty"


def cors(app):
    # ruleid: cors-wildcard-credentials
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    # ok: cors-wildcard-credentials
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"], allow_credentials=True)


def serve(app, port):
    sock = socket.socket()
    # ruleid: bind-all-interfaces
    sock.bind(("0.0.0.0", port))
    # ok: bind-all-interfaces
    sock.bind(("127.0.0.1", port))
    # ruleid: bind-all-interfaces
    app.run(host="0.0.0.0")
