# Test cases for bot/analyzers/rules/secrets.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import os

import boto3
import psycopg


# ruleid: hardcoded-secret
SECRET_KEY = "django-insecure-9f8a7s6d5f4g3h2j1k"
# ruleid: hardcoded-secret
password = "blerg"
# ruleid: hardcoded-secret
api_key = "sk2934kfjsd93kdfj3k"
# ok: hardcoded-secret
api_key = os.environ["API_KEY"]
# ok: hardcoded-secret
password = ""
# ok: hardcoded-secret
PASSWORD_FIELD = "password"
# ok: hardcoded-secret
password = "changeme"
# ok: hardcoded-secret
DB_PASSWORD = "DB_PASSWORD"
# ok: hardcoded-secret
prompt_password = "Please enter your password now"
# ok: hardcoded-secret
password_reset = "x-password-reset"


# ruleid: hardcoded-secret
def login(user, password="Admin123"):
    return user, password


def connect(app, config, user):
    # ruleid: hardcoded-secret
    psycopg.connect(host="db", password="s3cr3t-pw")
    # ruleid: hardcoded-secret
    app.config["SECRET_KEY"] = "super-secret-key-1"
    # ruleid: hardcoded-secret
    config["db_password"] = "hunter22"
    # ruleid: hardcoded-secret
    settings = {"client_secret": "a8f5f167f44f4964e6c998dee827110c"}
    # ruleid: hardcoded-secret
    boto3.client("s3", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY0")
    # ruleid: hardcoded-secret
    if password == "root":
        return True
    # ok: hardcoded-secret
    psycopg.connect(host="db", password=os.environ["PGPASSWORD"])
    # ruleid: hardcoded-token
    auth_token = "a1b2c3d4e5f6g7h8i9j0k1l2"
    # ok: hardcoded-token
    csrf_token = "csrftoken"
    # ok: hardcoded-token
    TOKEN = "block_begin"
    # ruleid: hardcoded-password-call
    user.set_password("hunter22")
    # ok: hardcoded-password-call
    user.set_password(os.environ["INITIAL_PASSWORD"])
    # ruleid: empty-password
    user.set_password("")


# ruleid: hardcoded-token-format
GITHUB_TOKEN = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
# ok: hardcoded-token-format
GITHUB_TOKEN_PREFIX = "ghp_"
