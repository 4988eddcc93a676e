#!/usr/bin/python3
"""grpcs: addresses: the same stubs over TLS, with gRPC's own SSL credentials.

A certificate made on the spot with openssl (of localhost and 127.0.0.1),
`ward serve --grpc ... --grpc-cert --grpc-key` hosting libcalc.so, and
grpc-client (tests/grpc/grpc-client.c): with grpcs:127.0.0.1:PORT and the
certificate as its root (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, which gRPC
honours) Add gives 42; with plaintext grpc: to the same TLS port the call
fails UNAVAILABLE (-ECONNRESET), well within its deadline; with grpcs: but
no root that signed the certificate, UNAVAILABLE too. (An address, not a
name: resolving localhost, gRPC's c-ares leaks a few bytes that
LeakSanitizer reports.)
Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

from grpctest import run, setup, skip

args, grpc = setup("client", "ward", "lib-dir")


def start_tls(cert, key, tmp):
    """ward serve --grpc with TLS on a free loopback port: (process, port)."""
    address = "@ward-client-tls-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    proc = subprocess.Popen([args.ward, "serve", "--listen", address, "--grpc", "127.0.0.1:0",
                             "--grpc-cert", cert, "--grpc-key", key,
                             "--load", os.path.join(args.lib_dir, "libcalc.so")],
                            stdout=subprocess.PIPE, text=True)
    port = None
    for line in proc.stdout:
        if " on port " in line:
            port = int(line.split()[-1])
        if "librar" in line:
            break
    if proc.poll() is not None or not port:
        proc.kill()
        raise AssertionError("ward serve did not start (exit %s)" % proc.poll())
    return proc, port


def client(expect, address, roots):
    env = dict(os.environ)
    env.pop("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", None)
    if roots:
        env["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = roots
    r = subprocess.run([args.client, "--expect", expect, address], capture_output=True,
                       text=True, env=env, timeout=60)
    sys.stdout.write(r.stdout)
    assert r.returncode == 0, "grpc-client --expect %s %s: exit %d\n%s" % (
        expect, address, r.returncode, r.stderr[-2000:])


def main():
    if not shutil.which("openssl"):
        skip("no openssl to make a certificate")
    tmp = tempfile.mkdtemp(prefix="ward-client-tls-")
    serve = None
    try:
        pems = {}
        for name in ("server", "other"):
            cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + "-key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=localhost", "-addext",
                            "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                            "-out", cert],
                           check=True, capture_output=True)
            pems[name] = (cert, key)
        serve, port = start_tls(pems["server"][0], pems["server"][1], tmp)
        client("42", "grpcs:127.0.0.1:%d" % port, pems["server"][0])
        client("unavailable", "grpc:127.0.0.1:%d" % port, None)
        client("unavailable", "grpcs:127.0.0.1:%d" % port, pems["other"][0])
        client("42", "grpcs:127.0.0.1:%d" % port, pems["server"][0])  # the server still answers
    finally:
        if serve:
            serve.kill()
            serve.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: grpcs: over TLS gives 42; plaintext or an unknown root: UNAVAILABLE")


run(main)
