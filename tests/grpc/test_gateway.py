#!/usr/bin/python3
"""ward gateway in front of two ward servers, one of which stops answering.

`ward gateway --to @calc --to @nap`: calc.Calculator (libcalc.so) and
grpctest.Slow (libnap.so) in two `ward serve` processes. The calc server is
SIGKILLed and its address taken by something a connect hangs on rather than
fails at: a listening socket nobody accepts on, then a SIGSTOPped `ward
serve`. While the gateway reconnects to it, calls to Slow (each with a 1 s
deadline) all answer, calls to calc are UNAVAILABLE at once, naming the
address (DEADLINE_EXCEEDED would do for a call whose deadline passed first:
never a hang), and reflection lists what is connected. Once a calc server
answers there again (a new one; SIGCONT), calls reach it, without restarting
the gateway. SIGTERM stops the gateway while it is stuck reconnecting.
Called by Debian's python3-grpcio. Exit 0: every check passed; 1: one failed
(it says which); 77: skipped (it says why).
"""
import os
import random
import select
import signal
import socket
import subprocess
import time

from grpctest import read_port, run, setup

args, grpc = setup("ward", "lib-dir")
import calc_pb2  # noqa: E402
import reflection_pb2  # noqa: E402
import slow_pb2  # noqa: E402

CALC = os.path.join(args.lib_dir, "libcalc.so")
NAP = os.path.join(args.lib_dir, "libnap.so")
ROUNDS = 20


def address(name):
    return "@ward-gateway-test-%s-%d-%d" % (name, os.getpid(), random.randrange(1 << 30))


def serve(addr, lib):
    """A `ward serve` of lib on addr, listening once it has said so."""
    p = subprocess.Popen([args.ward, "serve", "--listen", addr, "--load", lib],
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:  # "1 library on ADDRESS"
        if "librar" in line:
            break
    assert p.poll() is None, "ward serve %s exited with %s" % (addr, p.returncode)
    return p


def gateway(to):
    cmd = [args.ward, "gateway", "--grpc", "127.0.0.1:0"]
    for a in to:
        cmd += ["--to", a]
    gw = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    port = read_port(gw, "service")  # then "N services at ..."
    assert port and gw.poll() is None, "ward gateway did not start"
    return gw, port


def stop(p):
    if p and p.poll() is None:
        p.kill()
        p.wait()


def hanging_listener(addr):
    """A SOCK_SEQPACKET socket listening on addr that never accepts: a
    connect succeeds (the backlog), the handshake never answers."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind("\0" + addr[1:])
    s.listen(128)
    return s


class Calls:
    def __init__(self, ch):
        self.add = ch.unary_unary("/calc.Calculator/Add",
                                  request_serializer=calc_pb2.BinaryOp.SerializeToString,
                                  response_deserializer=calc_pb2.Result.FromString)
        self.sleep = ch.unary_unary("/grpctest.Slow/Sleep",
                                    request_serializer=slow_pb2.Nap.SerializeToString,
                                    response_deserializer=slow_pb2.Woke.FromString)
        self.info = ch.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)

    def calc_fails(self):
        """Add through the gateway fails: its code and message."""
        try:
            self.add(calc_pb2.BinaryOp(a=1, b=2), timeout=1)
        except grpc.RpcError as e:
            return e.code(), e.details()
        raise AssertionError("Add answered while its server cannot")

    def calc_answers(self):
        """Add through the gateway answers: tried until it does, a bounded
        number of times (back-off: at most 2 s between attempts)."""
        for _ in range(300):
            try:
                assert self.add(calc_pb2.BinaryOp(a=40, b=2), timeout=1).value == 42
                return
            except grpc.RpcError as e:
                if e.code() not in (grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise
            time.sleep(0.1)
        raise AssertionError("Add never answered again")

    def listed(self):
        req = reflection_pb2.ServerReflectionRequest(list_services="")
        reply, = list(self.info(iter([req]), timeout=5))
        return [s.name for s in reply.list_services_response.service]


def while_stuck(calls, calc_addr, listed=True):
    """Calls to Slow answer, calls to calc fail at once, ROUNDS times; then
    reflection lists Slow, and (listed) not calc."""
    for i in range(ROUNDS):
        code, details = calls.calc_fails()
        if code == grpc.StatusCode.UNAVAILABLE:
            assert "ward peer %s is reconnecting" % calc_addr in details, details
        else:
            assert code == grpc.StatusCode.DEADLINE_EXCEEDED, (code, details)
        assert calls.sleep(slow_pb2.Nap(ms=0, value=i), timeout=1).value == i
        time.sleep(0.1)  # spread the rounds over reconnecting attempts
    names = calls.listed()
    assert "grpctest.Slow" in names and ("calc.Calculator" not in names or not listed), names


def wait_pending(listener):
    """The gateway has connected to the listener (its backlog is readable)."""
    ready, _, _ = select.select([listener], [], [], 60)
    assert ready, "the gateway never connected to the hanging address"


def main():
    calc_addr, nap_addr = address("calc"), address("nap")
    calc = nap = gw = stopped = listener = None
    try:
        calc, nap = serve(calc_addr, CALC), serve(nap_addr, NAP)
        gw, port = gateway([calc_addr, nap_addr])  # the stuck one first: no call waits for it
        with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
            calls = Calls(ch)
            assert calls.add(calc_pb2.BinaryOp(a=40, b=2), timeout=30).value == 42
            assert calls.sleep(slow_pb2.Nap(ms=0, value=7), timeout=30).value == 7

            # 1. a listening socket that never accepts takes the calc address
            stop(calc)
            listener = hanging_listener(calc_addr)
            code, _ = calls.calc_fails()  # the gateway finds the connection gone
            assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), code
            wait_pending(listener)
            while_stuck(calls, calc_addr)
            listener.close()
            calc = serve(calc_addr, CALC)
            calls.calc_answers()
            print("ok   a listening socket that never accepts, then a new server")

            # 2. a SIGSTOPped ward serve takes the calc address
            stop(calc)
            stopped = serve(calc_addr, CALC)
            stopped.send_signal(signal.SIGSTOP)
            code, _ = calls.calc_fails()  # the gateway finds the connection gone
            assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), code
            # (the gateway may, rarely, have connected to it before the
            # SIGSTOP: then its calls end DEADLINE_EXCEEDED, and it is listed)
            while_stuck(calls, calc_addr, listed=False)
            stopped.send_signal(signal.SIGCONT)
            calls.calc_answers()
            print("ok   a SIGSTOPped ward serve, then SIGCONT")

            # 3. SIGTERM while a reconnecting attempt hangs
            stop(stopped)
            listener = hanging_listener(calc_addr)
            calls.calc_fails()
            wait_pending(listener)
            assert calls.sleep(slow_pb2.Nap(ms=0, value=1), timeout=1).value == 1
        gw.send_signal(signal.SIGTERM)
        assert gw.wait(timeout=60) == 0, "ward gateway exited with %s" % gw.returncode
        print("ok   SIGTERM while reconnecting")
    finally:
        for p in (gw, calc, nap, stopped):
            stop(p)  # SIGKILL: a stopped process too
        if listener:
            listener.close()


run(main, grpc.RpcError)
