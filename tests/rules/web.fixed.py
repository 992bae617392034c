# Test cases for bot/analyzers/rules/web.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import os
import subprocess

import flask
import jinja2
import mako.template
import requests
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from flask import Flask, Markup, redirect, render_template_string, request, send_file, url_for
from werkzeug.utils import secure_filename
from wsgiref.handlers import CGIHandler

app = Flask(__name__)
api = FastAPI()


@app.route("/go")
def go():
    target = request.args.get("next")
    # ruleid: request-data-to-redirect
    return redirect(target)


@app.route("/home")
def home():
    # ok: request-data-to-redirect
    return redirect(url_for("index"))


@app.route("/local")
def local():
    # ok: request-data-to-redirect
    return redirect("/app/" + request.args["page"])


@app.route("/fetch")
def fetch():
    url = request.args["url"]
    # ruleid: request-data-to-outgoing-request
    return requests.get(url).text


@app.route("/fetch-fixed")
def fetch_fixed():
    # ok: request-data-to-outgoing-request
    return requests.get(f"https://api.example.net/items/{request.args['id']}").text


@app.route("/file/<name>")
def download(name):
    # ruleid: request-data-to-file-path
    return send_file(os.path.join("/srv/files", name))


@app.route("/upload", methods=["POST"])
def upload():
    name = request.form["name"]
    # ruleid: request-data-to-file-path
    with open("/srv/uploads/" + name, "wb") as handle:
        handle.write(request.data)
    # ok: request-data-to-file-path
    with open(os.path.join("/srv/uploads", secure_filename(name)), "wb") as handle:
        handle.write(request.data)
    return "ok"


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: request-data-to-template
    return render_template_string("<h1>Hello " + name + "</h1>")


@app.route("/banner")
def banner():
    # ruleid: request-data-to-html, mark-safe-non-constant
    return Markup("<b>%s</b>" % request.args["text"])


@app.route("/ping")
def ping():
    host = request.args["host"]
    # ruleid: request-data-to-command
    subprocess.run(["ping", "-c", "1", host])
    # ok: request-data-to-command
    subprocess.run(["ping", "-c", "1", "localhost"])
    return "ok"


def django_view(request):
    # ruleid: request-data-to-html
    return HttpResponse("Hello " + request.GET["name"])


def django_redirect(request):
    # ruleid: request-data-to-redirect
    return HttpResponseRedirect(request.POST.get("next"))


def django_search(request, cursor):
    # ruleid: request-data-to-sql
    cursor.execute(request.GET["query"])


def django_eval(request):
    # ruleid: request-data-to-code
    return eval(request.GET["expr"])


@api.get("/jump")
async def jump(url: str):
    # ruleid: request-data-to-redirect
    return RedirectResponse(url)


@api.get("/settings")
async def settings(path: str = Depends(lambda: "/etc/app.toml")):
    # ok: request-data-to-file-path
    return open(path).read()


@api.get("/read")
async def read(path: str):
    # ruleid: request-data-to-file-path
    return open(path).read()


def run_dev():
    # ruleid: flask-debug-enabled
    app.run(host="127.0.0.1", debug=False)
    # ok: flask-debug-enabled
    app.run(host="127.0.0.1")


def made_here():
    site = flask.Flask(__name__)
    # ruleid: flask-debug-enabled
    site.debug=False
    # ruleid: flask-debug-enabled
    site.config["DEBUG"] = True
    return site


def not_an_app(state, worker):
    # ok: flask-debug-enabled
    state.debug = True
    # ok: flask-debug-enabled
    worker.run(debug=True)


# ruleid: csrf-disabled
@csrf_exempt
def webhook(request):
    return HttpResponse("ok")


# ruleid: csrf-disabled
app.config["WTF_CSRF_ENABLED"] = False
# ruleid: insecure-cookie-setting
SESSION_COOKIE_SECURE = False


def cookies(response, value, jar, cookie):
    # ruleid: cookie-without-flags
    response.set_cookie("session", value)
    # ok: cookie-without-flags
    response.set_cookie("session", value, secure=True, httponly=True, samesite="Lax")
    # ok: cookie-without-flags
    jar.set_cookie(cookie)


def templates(loader, html):
    # ruleid: jinja2-autoescape-off
    jinja2.Environment(loader=loader, autoescape=True)
    # ruleid: jinja2-autoescape-default
    jinja2.Environment(loader=loader, autoescape=True)
    # ok: jinja2-autoescape-default
    jinja2.Environment(loader=loader, autoescape=True)
    # ruleid: jinja2-autoescape-default-no-args
    jinja2.Environment(autoescape=True)
    # ruleid: jinja2-autoescape-off
    jinja2.Environment(autoescape=True)
    # ruleid: mark-safe-non-constant
    mark_safe(html)
    # ok: mark-safe-non-constant
    mark_safe("<br>")


def legacy(text, wsgi_app):
    # ruleid: mako-template
    mako.template.Template(text)
    # ok: mako-template
    mako.template.Template(text, default_filters=["h"])
    # ruleid: cgi-handler-httpoxy
    CGIHandler().run(wsgi_app)
