# Test cases for bot/analyzers/rules/crypto.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import hashlib
import ssl
from hashlib import sha1

from Crypto.Cipher import AES, DES
from Crypto.Hash import MD5
from Crypto.PublicKey import RSA as PyRSA
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from OpenSSL import SSL


def hashes_(data, password):
    # ruleid: weak-hash
    digest = hashlib.md5(password, usedforsecurity=False)
    # ruleid: weak-hash
    hashlib.sha1(data, usedforsecurity=False).hexdigest()
    # ok: weak-hash
    hashlib.md5(data, usedforsecurity=False)
    # ok: weak-hash
    hashlib.sha256(data)
    # ruleid: weak-hash-no-data
    hasher = hashlib.md5(usedforsecurity=False)
    # ruleid: weak-hash-new
    hashlib.new("md5", data, usedforsecurity=False)
    # ruleid: weak-hash-new
    hashlib.new(name="SHA1", usedforsecurity=False)
    # ok: weak-hash-new
    hashlib.new("sha256", data)
    # ok: weak-hash-new
    hashlib.new("md5", data, usedforsecurity=False)
    # ruleid: weak-hash-library
    hashes.Hash(hashes.MD5())
    # ruleid: weak-hash-library
    hashes.Hash(hashes.SHA1())
    # ruleid: weak-hash-library
    MD5.new(data)
    # ok: weak-hash-library
    hashes.Hash(hashes.SHA256())
    # ruleid: weak-hash-library
    sha1(data)


def ciphers(key, iv):
    # ruleid: weak-cipher
    Cipher(algorithms.ARC4(key), mode=None)
    # ruleid: weak-cipher
    Cipher(algorithms.Blowfish(key), modes.CBC(iv))
    # ruleid: weak-cipher
    DES.new(key, DES.MODE_CBC, iv)
    # ok: weak-cipher
    Cipher(algorithms.AES(key), modes.GCM(iv))
    # ruleid: ecb-mode
    Cipher(algorithms.AES(key), modes.ECB())
    # ruleid: ecb-mode
    AES.new(key, AES.MODE_ECB)
    # ok: ecb-mode
    AES.new(key, AES.MODE_GCM)


def keys():
    # ruleid: short-asymmetric-key
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # ruleid: short-asymmetric-key
    rsa.generate_private_key(65537, 2048)
    # ruleid: short-asymmetric-key
    dsa.generate_private_key(key_size=2048)
    # ruleid: short-asymmetric-key
    PyRSA.generate(2048)
    # ok: short-asymmetric-key
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # ok: short-asymmetric-key
    PyRSA.generate(4096)
    # ruleid: short-ec-key
    ec.generate_private_key(ec.SECP192R1())
    # ok: short-ec-key
    ec.generate_private_key(ec.SECP256R1())


def tls(sock):
    # ruleid: weak-tls-version
    ssl.SSLContext(ssl.PROTOCOL_TLSv1)
    # ruleid: weak-tls-version
    SSL.Context(SSL.SSLv3_METHOD)
    context = ssl.create_default_context()
    # ruleid: weak-tls-version
    context.minimum_version = ssl.TLSVersion.TLSv1
    # ok: weak-tls-version
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # ok: weak-tls-version
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # ruleid: ssl-wrap-socket-no-version
    ssl.wrap_socket(sock)
