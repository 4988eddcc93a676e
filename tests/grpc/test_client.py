#!/usr/bin/python3
"""ward_rpc_client_open("grpc:...") reaching a gRPC server nobody here wrote.

A Python gRPC server (Debian's python3-grpcio, generic handlers with the
messages of `protoc --python_out`) answers calc.Calculator.Add; the C
program grpc-client calls it through examples/calc's unchanged stubs and
checks the answers, the status mapping, a deadline and a port with no
server (grpc-client.c says which). Also: libward does not need libgrpc;
and across a restart of the server, a client with options.reconnect sends
an idempotent call that found no server again once the channel is back.
Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent import futures

from grpctest import setup

args, grpc = setup("client", "libward", "ward")
import calc_pb2  # noqa: E402


def add(req, context):
    if req.a == 1000:
        time.sleep(2)
    if req.a < 0:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "negative")
    return calc_pb2.Result(value=req.a + req.b)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port=0):
    """The Python server, on port (0: a free one): (server, port)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {"Add": grpc.unary_unary_rpc_method_handler(
        add, request_deserializer=calc_pb2.BinaryOp.FromString,
        response_serializer=calc_pb2.Result.SerializeToString)}
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("calc.Calculator", handlers),))
    port = server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    return server, port


def check_restart():
    """grpc-client --restart: the server stops, the client is told, the server
    comes back on the same port while the idempotent call waits. Traced: the
    trace file shows the idempotent call made twice (7 call spans: 3 before
    the stop, 2 that fail, the one sent again)."""
    server, port = serve()
    tmp = tempfile.mkdtemp(prefix="ward-grpc-restart-")
    env = dict(os.environ, WARD_TRACE="info:" + tmp)
    p = subprocess.Popen([args.client, "--restart", "grpc:127.0.0.1:%d" % port], text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        for line in p.stdout:
            sys.stdout.write(line)
            if line.startswith("stopped?"):
                server.stop(0).wait()
                p.stdin.write("down\n")
                p.stdin.flush()
            elif line.startswith("waiting"):
                time.sleep(4)  # its first attempt gives up meanwhile (gRPC's: in ~1 s)
                server, port2 = serve(port)
                assert port2 == port, "port %d taken meanwhile" % port
        if p.wait(timeout=60) != 0:
            return False
        text = subprocess.run([args.ward, "trace", "merge", tmp], capture_output=True,
                              text=True, check=True).stdout
        calls = text.count("begin call calc.Calculator/Add")
        print("%s: %d call spans, want 7 (the idempotent call sent again)" % (
            "ok" if calls == 7 else "FAIL", calls))
        return calls == 7
    finally:
        if p.poll() is None:
            p.kill()
        server.stop(0)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    needed = subprocess.run(["readelf", "-d", args.libward], capture_output=True, text=True)
    if needed.returncode == 0 and "grpc" in needed.stdout:
        print("FAIL: libward.so needs libgrpc:\n" + needed.stdout)
        return 1
    server, port = serve()
    try:
        dead = free_port()  # nobody listens there (a race with another process: unlikely)
        r = subprocess.run([args.client, str(port), str(dead)], timeout=60)
        return 0 if r.returncode == 0 and check_restart() else 1
    finally:
        server.stop(0)


sys.exit(main())
