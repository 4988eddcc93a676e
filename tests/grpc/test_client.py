#!/usr/bin/python3
"""ward_rpc_client_open("grpc:...") reaching a gRPC server nobody here wrote.

A Python gRPC server (Debian's python3-grpcio, generic handlers with the
messages of `protoc --python_out`) answers calc.Calculator.Add; the C
program grpc-client calls it through examples/calc's unchanged stubs and
checks the answers, the status mapping, a deadline and a port with no
server (grpc-client.c says which). Also: libward does not need libgrpc.
Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import socket
import subprocess
import sys
import time
from concurrent import futures

from grpctest import setup

args, grpc = setup("client", "libward")
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


def main():
    needed = subprocess.run(["readelf", "-d", args.libward], capture_output=True, text=True)
    if needed.returncode == 0 and "grpc" in needed.stdout:
        print("FAIL: libward.so needs libgrpc:\n" + needed.stdout)
        return 1
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {"Add": grpc.unary_unary_rpc_method_handler(
        add, request_deserializer=calc_pb2.BinaryOp.FromString,
        response_serializer=calc_pb2.Result.SerializeToString)}
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("calc.Calculator", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        dead = free_port()  # nobody listens there (a race with another process: unlikely)
        r = subprocess.run([args.client, str(port), str(dead)], timeout=60)
        return 0 if r.returncode == 0 else 1
    finally:
        server.stop(0)


sys.exit(main())
