# Test cases for bot/analyzers/rules/jwt.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import os

import jwt
from jose import jwt as jose_jwt


def tokens(token, payload):
    key = os.environ["JWT_KEY"]
    # ruleid: jwt-signature-not-verified
    jwt.decode(token, verify=False)
    # ruleid: jwt-signature-not-verified
    jwt.decode(token, key, algorithms=["HS256"], options={"verify_signature": False})
    # ruleid: jwt-signature-not-verified
    jose_jwt.decode(token, key, options={"verify_signature": False})
    # ok: jwt-signature-not-verified
    jwt.decode(token, key, algorithms=["HS256"])
    # ruleid: jwt-none-algorithm
    jwt.encode(payload, key, algorithm="none")
    # ruleid: jwt-none-algorithm
    jwt.decode(token, key, algorithms=["none"])
    # ok: jwt-none-algorithm
    jwt.encode(payload, key, algorithm="HS256")
    # ruleid: jwt-hardcoded-key
    jwt.encode(payload, "secret", algorithm="HS256")
    # ruleid: jwt-hardcoded-key
    jwt.decode(token, "my-signing-key", algorithms=["HS256"])
    # ok: jwt-hardcoded-key
    jwt.encode(payload, key, algorithm="HS256")
