# Test cases for bot/analyzers/rules/commands.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import asyncio
import os
import subprocess
import sys
from subprocess import Popen as pop

import paramiko

CONSTANT = "ls -l"


def shell_true(user, cmd):
    # ruleid: subprocess-shell-true
    subprocess.call("grep -R {} .".format(user), shell=True)
    # ruleid: subprocess-shell-true
    subprocess.run(f"ls {user}", shell=True, cwd="/home")
    # ruleid: subprocess-shell-true
    subprocess.Popen("ls " + user, shell=1)
    # ruleid: subprocess-shell-true
    subprocess.check_output(cmd, shell="False")
    # ruleid: subprocess-shell-true
    pop(cmd, shell=True)
    # ruleid: subprocess-shell-true
    subprocess.check_call(args=cmd, shell=True)
    # ok: subprocess-shell-true
    subprocess.call("echo 'hello'", shell=True)
    # ok: subprocess-shell-true
    subprocess.call(CONSTANT, shell=True)
    # ok: subprocess-shell-true
    subprocess.call("/bin/ls %s" % ("something",), shell=True)
    # ok: subprocess-shell-true
    subprocess.call(cmd, shell=False)
    # ok: subprocess-shell-true
    subprocess.call(cmd, shell=0)
    # ok: subprocess-shell-true
    subprocess.call(cmd, shell=None)
    # ok: subprocess-shell-true
    subprocess.call(["ls", user], shell=True)


def string_command(user):
    # ruleid: subprocess-string-command
    subprocess.call("grep -R {} .".format(user))
    # ruleid: subprocess-string-command
    subprocess.run(f"ls {user}")
    # ok: subprocess-string-command
    subprocess.run(["ls", user])
    # ok: subprocess-string-command
    subprocess.run("ls")


def shell_functions(user):
    # ruleid: os-system-non-constant
    os.system("rm " + user)
    # ruleid: os-system-non-constant
    os.popen(f"cat {user}")
    # ruleid: os-system-non-constant
    subprocess.getoutput(user)
    # ruleid: os-system-non-constant
    getattr(os, "system")(user)
    # ruleid: os-system-non-constant
    __import__("os").system(user)
    # ruleid: os-system-non-constant
    run = getattr(os, "system")
    run(user)
    # ruleid: os-system-non-constant
    getattr(__import__("os"), "system")(user)
    # ok: os-system-non-constant
    os.system("ls")
    # ok: os-system-non-constant
    os.system(CONSTANT)
    # ok: os-system-non-constant
    subprocess.getoutput("/bin/ls -l")


def indirect(name, user):
    # ruleid: shell-function-indirect
    getattr(os, name)(user)
    # ok: shell-function-indirect
    getattr(os, "getcwd")()


def exec_family(mode, path, args, env, user):
    # ruleid: os-exec-non-constant
    os.execl(path, "x", "y")
    # ruleid: os-exec-non-constant
    os.execvpe(path, args, env)
    # ruleid: os-exec-non-constant
    os.spawnv(mode, path, args)
    # ruleid: os-exec-non-constant
    os.startfile(path)
    # ok: os-exec-non-constant
    os.execv(sys.executable, [sys.executable, "-m", "pip"])
    # ok: os-exec-non-constant
    os.spawnvp(os.P_WAIT, "tar", ["tar", "xvzf", "x.tgz"])
    # ruleid: os-exec-shell-command
    os.execl("/bin/sh", "sh", "-c", user)
    # ruleid: os-exec-shell-command
    subprocess.run(["bash", "-c", user])
    # ok: os-exec-shell-command
    subprocess.run(["bash", "-c", "echo hi"])


async def asyncio_commands(user, loop, proto):
    # ruleid: asyncio-shell-non-constant
    await asyncio.create_subprocess_shell(user)
    # ruleid: asyncio-shell-non-constant
    await loop.subprocess_shell(proto, "ls " + user)
    # ok: asyncio-shell-non-constant
    await asyncio.create_subprocess_shell("ls -l")
    # ruleid: asyncio-exec-non-constant
    await asyncio.create_subprocess_exec(user, "-l")
    # ok: asyncio-exec-non-constant
    await asyncio.create_subprocess_exec("ls", user)
    # ok: asyncio-exec-non-constant
    await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")


def remote(host, user):
    client = paramiko.SSHClient()
    client.connect(host)
    # ruleid: paramiko-exec-command
    client.exec_command("ls " + user)
    # ok: paramiko-exec-command
    client.exec_command("uptime")


def wildcards(user):
    # ruleid: wildcard-injection
    os.system("/bin/tar xvzf *")
    # ruleid: wildcard-injection
    subprocess.Popen("/bin/chown *", shell=True)
    # ok: wildcard-injection
    subprocess.Popen("/bin/chmod *")
    # ok: wildcard-injection
    subprocess.Popen(["/bin/chown", "*"])
