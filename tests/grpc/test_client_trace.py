#!/usr/bin/python3
"""A grpc: client carries ward's trace context as W3C traceparent.

grpc-trace-client (tests/grpc/grpc-trace-client.c) calls calc.Calculator.Add
through a grpc: address, inside a span of its own: two synchronous calls, two
on a ward_loop.

1. Against a Python gRPC server (Debian's python3-grpcio) that keeps the
   traceparent each call brought and echoes it in its trailing metadata:
   traced (WARD_TRACE), each call sends one, whose trace id and parent id are
   those of a call span in the client's trace file (`ward trace merge
   --json`), each call span the child of the client's own span; untraced, no
   call sends one.
2. Against a traced `ward serve --grpc`: the merged trace of both processes
   joins each call of the client to the bridge's span in the server with a
   flow (one trace across the two processes).
3. tracestate: a Python client calls relay.Relay.Forward in a traced `ward
   serve --grpc` with a traceparent and a tracestate; the handler asks Add
   of the Python server through a grpc: client, which receives the caller's
   trace id and its tracestate unchanged. The reply carries the bridge's
   traceparent in its trailing metadata as in its initial metadata. A
   tracestate beside a malformed traceparent, or over 512 bytes, is dropped.

Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent import futures

import grpctest
from grpctest import run, setup, start

CALLS = 4

args, grpc = setup("client", "ward", "lib-dir")
import calc_pb2  # noqa: E402


class Server:
    """A Python gRPC server of calc.Calculator.Add that keeps what it received."""

    def __init__(self):
        self.received = []  # the traceparent of each call, None when it had none
        self.states = []  # the tracestates of each call
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handlers = {"Add": grpc.unary_unary_rpc_method_handler(
            self.add, request_deserializer=calc_pb2.BinaryOp.FromString,
            response_serializer=calc_pb2.Result.SerializeToString)}
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("calc.Calculator", handlers),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def add(self, req, context):
        md = context.invocation_metadata()
        tps = [v for k, v in md if k == "traceparent"]
        self.received.append(tps[0] if len(tps) == 1 else None if not tps else tps)
        self.states.append([v for k, v in md if k == "tracestate"])
        if tps:
            context.set_trailing_metadata((("traceparent", tps[0]),))
        return calc_pb2.Result(value=req.a + req.b)


def run_client(address, trace_dir):
    """grpc-trace-client on address, traced into trace_dir (None: untraced);
    the outer span's (trace, span) it printed."""
    env = dict(os.environ)
    env.pop("WARD_TRACE", None)
    if trace_dir:
        env["WARD_TRACE"] = "info:" + trace_dir
    r = subprocess.run([args.client, address], capture_output=True, text=True, env=env,
                       timeout=120)
    sys.stdout.write(r.stdout)
    assert r.returncode == 0, "grpc-trace-client exited %d: %s" % (r.returncode, r.stderr)
    words = r.stdout.split("\n")[0].split()
    assert words[0] == "outer", r.stdout
    return words[1], words[2]


def merge(tmp, *dirs):
    return grpctest.merge(args.ward, tmp, *dirs)[:3]


def client_calls(spans, trace, outer):
    return grpctest.client_calls(spans, trace, outer, CALLS)


def check_python_server(tmp):
    server = Server()
    try:
        trace, outer = run_client("grpc:127.0.0.1:%d" % server.port, None)
        assert trace == "0" * 32, "tracing off, yet a span: %s" % trace
        assert server.received == [None] * CALLS, "untraced calls sent %s" % server.received
        server.received = []
        trace_dir = os.path.join(tmp, "client")
        os.mkdir(trace_dir)
        trace, outer = run_client("grpc:127.0.0.1:%d" % server.port, trace_dir)
    finally:
        server.server.stop(0)
    spans, _, _ = merge(tmp, trace_dir)
    calls = client_calls(spans, trace, outer)
    sent = sorted(server.received, key=str)
    want = sorted("00-%s-%s-01" % (trace, s["id"]) for s in calls)
    assert sent == want, "traceparents received %s, want %s" % (sent, want)
    print("ok: traced grpc: calls send their span as traceparent; untraced ones send none")


def check_ward_serve(tmp):
    serve_dir, client_dir = os.path.join(tmp, "serve"), os.path.join(tmp, "client2")
    os.mkdir(serve_dir)
    os.mkdir(client_dir)
    address = "@ward-client-trace-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    serve, (trace, outer) = grpctest.serve_traced(
        [args.ward, "serve", "--listen", address, "--grpc", "127.0.0.1:0",
         "--load", os.path.join(args.lib_dir, "libcalc.so")], serve_dir,
        lambda port: run_client("grpc:127.0.0.1:%d" % port, client_dir))
    spans, outs, ins = merge(tmp, client_dir, serve_dir)
    for call in client_calls(spans, trace, outer):
        bridge = grpctest.bridge_span(spans, call, serve.pid, trace)
        handler = [s for s in spans if s["name"] == "calc.Calculator/Add" and
                   s["pid"] == serve.pid and s["parent"] == bridge["id"]]
        assert len(handler) == 1, "bridge %s: handler spans %s" % (bridge, spans)
        fid = "0x" + call["id"]
        assert fid in outs and fid in ins, "no flow %s (out %s, in %s)" % (fid, outs, ins)
    print("ok: grpc: calls into ward serve --grpc: one trace, a flow from each call")


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = "00-%s-00f067aa0ba902b7-01" % TRACE
STATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"


def forward(port, metadata, via):
    """relay.Relay/Forward(40, 2) through ward serve at port, asking via;
    (its answer, its initial and trailing metadata as dicts)."""
    import relay_pb2
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        rpc = ch.unary_unary("/relay.Relay/Forward",
                             request_serializer=relay_pb2.Pair.SerializeToString,
                             response_deserializer=relay_pb2.Sum.FromString)
        reply, c = rpc.with_call(relay_pb2.Pair(a=40, b=2, via=via), metadata=metadata,
                                 timeout=30)
        return reply.value, dict(c.initial_metadata()), dict(c.trailing_metadata())


def check_tracestate(tmp):
    serve_dir = os.path.join(tmp, "serve-state")
    os.mkdir(serve_dir)
    address = "@ward-client-state-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    server = Server()
    serve, port = start([args.ward, "serve", "--listen", address, "--grpc", "127.0.0.1:0",
                         "--load", os.path.join(args.lib_dir, "libcalc.so"),
                         "--load", os.path.join(args.lib_dir, "librelay.so")], serve_dir, "librar")
    via = "grpc:127.0.0.1:%d" % server.port
    try:
        value, initial, trailing = forward(
            port, (("traceparent", CALLER), ("tracestate", STATE)), via)
        assert value == 42, value
        assert initial.get("traceparent", "").split("-")[1:2] == [TRACE], initial
        assert trailing.get("traceparent") == initial["traceparent"], (initial, trailing)
        assert server.received[0].split("-")[1] == TRACE, server.received
        assert server.states[0] == [STATE], "tracestate passed on: %s" % server.states
        for md in ((("traceparent", CALLER.upper()), ("tracestate", STATE)),
                   (("traceparent", CALLER), ("tracestate", "a=" + "b" * 511))):
            assert forward(port, md, via)[0] == 42
        assert server.states[1:] == [[], []], "dropped tracestates: %s" % server.states[1:]
    finally:
        server.server.stop(0)
        serve.kill()
        serve.wait()
    print("ok: tracestate passed on unchanged by ward serve --grpc to a grpc: call; "
          "traceparent in the trailers too")


def main():
    if not os.path.exists(os.path.join(args.lib_dir, "libcalc.so")):
        raise AssertionError("libcalc.so is not built")
    tmp = tempfile.mkdtemp(prefix="ward-client-trace-")
    try:
        check_python_server(tmp)
        check_ward_serve(tmp)
        check_tracestate(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(main)
