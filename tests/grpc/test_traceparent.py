#!/usr/bin/python3
"""W3C traceparent through ward's gRPC bridges, called by Debian's python3-grpcio.

A gRPC call carrying a known traceparent goes through `ward gateway` into a
traced `ward serve` hosting relay.Relay (librelay.so) and calc.Calculator
(libcalc.so), whose Forward handler calls Add by short-circuit. `ward trace
merge --json` of both processes' files must show the spans in the caller's
trace, each the child of the one before (the gateway's own span the child of
the caller's), and the flows gateway -> server -> nested handler. The reply
carries the bridge's traceparent back; a malformed one is ignored (a new
trace). Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile

from grpctest import run, setup, spans_and_flows, start

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = "00-%s-%s-01" % (TRACE, CALLER_SPAN)
DIRECT_TRACE = "0af7651916cd43dd8448eb211c80319c"
ONE_WAY_TRACE = "5d2e11b9ab3c4f6e9d1f0a7c3b2e8d41"

args, grpc = setup("ward", "lib-dir")
import calc_pb2  # noqa: E402
import relay_pb2  # noqa: E402


def call(port, path, req, reply_type, traceparent):
    """One unary call with traceparent in its metadata: the reply and the
    traceparent of the reply's initial metadata (None: none)."""
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        rpc = ch.unary_unary(path, request_serializer=type(req).SerializeToString,
                             response_deserializer=reply_type.FromString)
        reply, c = rpc.with_call(req, metadata=(("traceparent", traceparent),), timeout=30)
        md = dict(c.initial_metadata())
        return reply, md.get("traceparent")


def check_returned(tp, trace):
    """tp: a version-00 traceparent in trace (None: any trace), not the caller's span."""
    assert tp, "the reply carried no traceparent"
    parts = tp.split("-")
    assert len(parts) == 4 and parts[0] == "00" and len(parts[1]) == 32, tp
    assert trace is None or parts[1] == trace, "trace %s, want %s" % (parts[1], trace)
    assert parts[2] != CALLER_SPAN and parts[2] != "0" * 16, tp
    return parts[1]


def one(spans, name, pid, parent=None):
    found = [s for s in spans if s["name"] == name and s["pid"] == pid and
             (parent is None or s["parent"] == parent)]
    assert len(found) == 1, "want one span %s of pid %d (parent %s), have %s" % (
        name, pid, parent, spans)
    return found[0]


def check_chain(spans, outs, ins, gw_pid, serve_pid):
    mine = [s for s in spans if s["trace"] == TRACE]
    bridge = one(mine, "grpc:relay.Relay/Forward", gw_pid, CALLER_SPAN)
    call = one(mine, "relay.Relay/Forward", gw_pid, bridge["id"])
    handler = one(mine, "relay.Relay/Forward", serve_pid, call["id"])
    nested = one(mine, "calc.Calculator/Add", serve_pid, handler["id"])
    one(mine, "calc.Calculator/Add", serve_pid, nested["id"])
    assert len(mine) == 5, "spans of the trace: %s" % mine
    for s in (call, nested):  # the arrows: out of each call, into its handler
        fid = "0x" + s["id"]
        assert fid in outs and fid in ins, "no flow %s (out %s, in %s)" % (fid, outs, ins)


def main():
    for lib in ("libcalc.so", "librelay.so"):
        if not os.path.exists(os.path.join(args.lib_dir, lib)):
            raise AssertionError("%s is not built" % lib)
    tmp = tempfile.mkdtemp(prefix="ward-traceparent-")
    serve_dir, gw_dir = os.path.join(tmp, "serve"), os.path.join(tmp, "gateway")
    os.mkdir(serve_dir)
    os.mkdir(gw_dir)
    address = "@ward-traceparent-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    procs = []
    try:
        serve, serve_port = start(
            [args.ward, "serve", "--listen", address, "--grpc", "127.0.0.1:0",
             "--load", os.path.join(args.lib_dir, "libcalc.so"),
             "--load", os.path.join(args.lib_dir, "librelay.so")], serve_dir, "librar")
        procs.append(serve)
        gw, gw_port = start([args.ward, "gateway", "--grpc", "127.0.0.1:0", "--to", address],
                            gw_dir, "service")
        procs.append(gw)

        reply, tp = call(gw_port, "/relay.Relay/Forward", relay_pb2.Pair(a=40, b=2),
                         relay_pb2.Sum, TRACEPARENT)
        assert reply.value == 42 and reply.relay_pid == serve.pid, reply
        check_returned(tp, TRACE)
        # malformed (uppercase hex): ignored, the call goes on in a new trace
        reply, tp = call(gw_port, "/relay.Relay/Forward", relay_pb2.Pair(a=1, b=2),
                         relay_pb2.Sum, TRACEPARENT.upper())
        assert reply.value == 3, reply
        assert check_returned(tp, None) != TRACE
        # a one-way method through the gateway: traced as any call
        reply, tp = call(gw_port, "/calc.Calculator/Log", calc_pb2.LogLine(text="traced"),
                         calc_pb2.Blob, "00-%s-%s-01" % (ONE_WAY_TRACE, CALLER_SPAN))
        assert reply.ByteSize() == 0, reply
        check_returned(tp, ONE_WAY_TRACE)
        # ward serve --grpc maps it the same way
        reply, tp = call(serve_port, "/calc.Calculator/Add", calc_pb2.BinaryOp(a=2, b=3),
                         calc_pb2.Result, "00-%s-%s-01" % (DIRECT_TRACE, CALLER_SPAN))
        assert reply.value == 5, reply
        check_returned(tp, DIRECT_TRACE)

        for p in (gw, serve):  # their trace files are complete once they exit
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=60) == 0, "%s exited %s" % (p.args[1], p.returncode)
        merged = os.path.join(tmp, "merged.json")
        r = subprocess.run([args.ward, "trace", "merge", "--json", "-o", merged, gw_dir,
                            serve_dir], capture_output=True, text=True)
        assert r.returncode == 0, "ward trace merge: %s" % r.stderr
        spans, outs, ins = spans_and_flows(merged)
        check_chain(spans, outs, ins, gw.pid, serve.pid)
        direct = [s for s in spans if s["trace"] == DIRECT_TRACE]
        bridge = one(direct, "grpc:calc.Calculator/Add", serve.pid, CALLER_SPAN)
        one(direct, "calc.Calculator/Add", serve.pid, bridge["id"])
        one_way = [s for s in spans if s["trace"] == ONE_WAY_TRACE]
        bridge = one(one_way, "grpc:calc.Calculator/Log", gw.pid, CALLER_SPAN)
        sent = one(one_way, "calc.Calculator/Log", gw.pid, bridge["id"])
        one(one_way, "calc.Calculator/Log", serve.pid, sent["id"])
        fid = "0x" + sent["id"]
        assert fid in outs and fid in ins, "no flow %s for the one-way call" % fid
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: traceparent through ward gateway and ward serve --grpc, one trace, flows joined "
          "(one-way calls too)")


run(main)
