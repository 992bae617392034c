# Test cases for bot/analyzers/rules/transport.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import ftplib
import os
import smtplib
import ssl
import telnetlib

import httpx
import paramiko
import requests
import urllib3
from pysnmp.hlapi import CommunityData, UsmUserData


def verification(url, session, context):
    # ruleid: tls-verification-disabled
    requests.get(url)
    # ruleid: tls-verification-disabled
    requests.post(url, data={"a": 1}, timeout=5)
    # ruleid: tls-verification-disabled
    httpx.Client(verify=False)
    # ok: tls-verification-disabled
    requests.get(url, verify="/etc/ssl/ca.pem")
    # ok: tls-verification-disabled
    requests.get(url, timeout=5)
    # ruleid: tls-verification-disabled-setting
    session.verify = False
    # ruleid: tls-verification-disabled-setting
    context.check_hostname = False
    # ruleid: tls-verification-disabled-setting
    context.verify_mode = ssl.CERT_NONE
    # ruleid: tls-verification-disabled-setting
    ssl._create_default_https_context = ssl._create_unverified_context
    # ruleid: tls-verification-disabled-setting
    urllib3.PoolManager(cert_reqs="CERT_NONE")
    # ruleid: tls-verification-disabled-setting
    urllib3.disable_warnings()
    # ok: tls-verification-disabled-setting
    context.verify_mode = ssl.CERT_REQUIRED


def ssh(host):
    client = paramiko.SSHClient()
    # ruleid: ssh-host-key-not-verified
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    # ok: ssh-host-key-not-verified
    client.set_missing_host_key_policy(paramiko.RejectPolicy())


def cleartext(user, password):
    # ruleid: cleartext-credentials-in-url
    url = "http://admin:hunter22@internal.example.net/api"
    # ok: cleartext-credentials-in-url
    safe = "https://api.example.net/v1"
    # ok: cleartext-credentials-in-url
    template = "http://{user}:{password}@host/"
    # ruleid: cleartext-request-with-credentials
    requests.get("http://api.internal.net/items", auth=(user, password))
    # ok: cleartext-request-with-credentials
    requests.get("https://api.internal.net/items", auth=(user, password))
    # ruleid: cleartext-request
    requests.get("http://api.internal.net/items")
    # ok: cleartext-request
    requests.get("https://api.internal.net/items")
    # ok: cleartext-request
    requests.get("http://localhost:8000/health")
    ftp = ftplib.FTP("ftp.internal.net")
    # ruleid: cleartext-protocol-login
    ftp.login(user, password)
    secure = ftplib.FTP_TLS("ftp.internal.net")
    # ok: cleartext-protocol-login
    secure.login(user, password)
    mail = smtplib.SMTP("mail.internal.net")
    mail.starttls()
    # ok: cleartext-protocol-login
    mail.login(user, password)
    # ruleid: cleartext-protocol
    telnetlib.Telnet("router.internal.net")


def snmp():
    # ruleid: snmp-insecure
    CommunityData("public", mpModel=0)
    # ruleid: snmp-insecure
    UsmUserData("user")
    # ok: snmp-insecure
    UsmUserData("user", "authkey1", "privkey1")
