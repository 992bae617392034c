# Test cases for bot/analyzers/rules/files.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import os
import pathlib
import stat
import tarfile
import tempfile
from tempfile import mktemp


def permissions(path):
    # ruleid: world-writable-permissions
    os.chmod(path, 0o777)
    # ruleid: world-writable-permissions
    os.chmod(path, 0o666)
    # ruleid: world-writable-permissions
    os.chmod(path, stat.S_IRWXU | stat.S_IWOTH)
    # ruleid: world-writable-permissions
    pathlib.Path(path).chmod(0o777)
    # ok: world-writable-permissions
    os.chmod(path, 0o600)
    # ok: world-writable-permissions
    os.chmod(path, 0o755)
    # ok: world-writable-permissions
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def archives(path, target):
    with tarfile.open(path) as tar:
        # ruleid: tarfile-extract-without-filter
        tar.extractall(target)
        # ok: tarfile-extract-without-filter
        tar.extractall(target, filter="data")
    archive = tarfile.open(path)
    # ruleid: tarfile-extract-without-filter
    archive.extract("member", target)
    # ruleid: tarfile-extractall-without-filter-fix
    tarfile.open(path).extractall(target, filter="data")
    # ruleid: tarfile-extract-without-filter
    tarfile.open(path).extractall()


def temporary(data):
    # ruleid: hardcoded-tmp-path
    with open("/tmp/cache.json", "w") as handle:
        handle.write(data)
    # ruleid: hardcoded-tmp-path
    LOCK = "/var/tmp/app.lock"
    # ok: hardcoded-tmp-path
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
    # ruleid: tempfile-mktemp
    _fd, name = tempfile.mkstemp()
    # ruleid: tempfile-mktemp
    _fd, other = tempfile.mkstemp(suffix=".txt", dir="/srv")
    # ruleid: tempfile-mktemp-call
    use(tempfile.mktemp())
    # ruleid: tempfile-mktemp-call
    bare = mktemp()
    # ok: tempfile-mktemp
    fd, name = tempfile.mkstemp()
